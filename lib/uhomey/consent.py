# Reading the consent page without holding it: <input> tags are picked out of
# the stream through one fixed buffer; tag case, attribute order and quote
# style vary. Scanned as bytes, never as str: indexing a str would intern each
# character it meets as a qstr, which is RAM for good.
from .errors import ProtocolError, fault

MAX_PAGE = 65536
_WS = b" \t\r\n"
# The longest <input> tag read whole is 512 bytes (a longer one is skipped); the buffer is
# made with the module, which the login compiles before the heap is busy.
_buf = bytearray(512)
# Entities, each followed by its character, in one string: eight short strings would be
# interned as qstrs, RAM for good.
_ENT = "&quot;\" &#39;' &#x27;' &lt;< &gt;> &#x2F;/ &#47;/ &amp;&"


def _entities(s):
    if "&" not in s:
        return s
    for e in _ENT.split(" "):
        s = s.replace(e[:-1], e[-1:])  # slices, not e[-1]: indexing a str interns the character
    return s


def parse_attrs(tag):
    """Attributes of one HTML tag (bytes, from its '<') as a dict of str; any order, any quote
    style. UnicodeError if a name or value is not UTF-8."""
    attrs = {}
    n = len(tag)
    i = 1
    while i < n and tag[i] not in _WS:  # the tag's own name
        i += 1
    while i < n:
        while i < n and tag[i] in b" \t\r\n/>":
            i += 1
        j = i
        while j < n and tag[j] not in b" \t\r\n=/>":
            j += 1
        if j == i:
            break
        name = tag[i:j].decode().lower()
        i = j
        while i < n and tag[i] in _WS:
            i += 1
        value = b""
        if i < n and tag[i] == 61:  # =
            i += 1
            while i < n and tag[i] in _WS:
                i += 1
            if i < n and tag[i] in b"\"'":
                q = tag[i:i + 1]
                j = tag.find(q, i + 1)
                if j < 0:
                    j = n
                value = tag[i + 1:j]
                i = j + 1
            else:
                j = i
                while j < n and tag[j] not in b" \t\r\n>":
                    j += 1
                value = tag[i:j]
                i = j
        attrs[name] = _entities(value.decode())
    return attrs


def _tag_end(buf, i, end):
    """Index of the '>' closing the tag that starts at i, skipping quoted values; -1 if not yet."""
    q = 0
    while i < end:
        c = buf[i]
        if q:
            if c == q:
                q = 0
        elif c == 34 or c == 39:
            q = c
        elif c == 62:
            return i
        i += 1
    return -1


def consent_inputs(resp):
    """(csrf, [resource values]) from the consent page, read through one fixed buffer."""
    csrf = None
    resources = []
    buf = _buf
    mv = memoryview(buf)
    have = total = 0
    while True:
        n = resp.readinto(mv[have:])
        if not n:
            break
        total += n
        if total > MAX_PAGE:
            resp.close()
            raise fault(ProtocolError, 27, MAX_PAGE)  # the consent page is over %d bytes; is this really...
        have += n
        i = 0  # what is before i is done with
        while True:
            j = buf.find(b"<", i, have)
            if j < 0:
                i = have
                break
            if have - j < 7:  # "<input" and the byte after it are not all here yet
                i = j
                break
            if bytes(mv[j + 1:j + 6]).lower() != b"input" or buf[j + 6] not in b" \t\r\n/>":
                i = j + 1
                continue
            k = _tag_end(buf, j, have)
            if k < 0:
                i = have if j == 0 and have == len(buf) else j  # a tag longer than the buffer is skipped
                break
            try:
                a = bytes(mv[j:k])
                a = parse_attrs(a)
            except UnicodeError:
                a = {}
            name = a.get("name")
            if name == "_csrf" and a.get("value"):
                csrf = a["value"]
            elif name == "resource" and a.get("value", "").startswith("resource.homey."):
                resources.append(a["value"])
            i = k + 1
        if i:  # keep the unfinished rest (a part of a tag, mostly) at the front
            rest = bytes(mv[i:have])
            have = len(rest)
            buf[:have] = rest
            rest = None
    return csrf, resources
