# Reading the consent page without holding it: <input> tags are picked out
# of the stream one buffer at a time; attribute order and quote style vary.
from .errors import ProtocolError

MAX_PAGE = 65536


def _entities(s):
    if "&" not in s:
        return s
    for a, b in (("&quot;", '"'), ("&#39;", "'"), ("&#x27;", "'"), ("&lt;", "<"), ("&gt;", ">"),
                 ("&#x2F;", "/"), ("&#47;", "/"), ("&amp;", "&")):
        s = s.replace(a, b)
    return s


def parse_attrs(tag):
    """Attributes of one HTML tag (str) as a dict; any order, any quote style."""
    attrs = {}
    n = len(tag)
    i = tag.find(" ") if " " in tag else n
    for ws in "\t\r\n":
        j = tag.find(ws)
        if 0 <= j < i:
            i = j
    while i < n:
        while i < n and tag[i] in " \t\r\n/>":
            i += 1
        j = i
        while j < n and tag[j] not in " \t\r\n=/>":
            j += 1
        name = tag[i:j].lower()
        if not name:
            break
        i = j
        while i < n and tag[i] in " \t\r\n":
            i += 1
        value = ""
        if i < n and tag[i] == "=":
            i += 1
            while i < n and tag[i] in " \t\r\n":
                i += 1
            if i < n and tag[i] in "\"'":
                q = tag[i]
                j = tag.find(q, i + 1)
                if j < 0:
                    j = n
                value = tag[i + 1:j]
                i = j + 1
            else:
                j = i
                while j < n and tag[j] not in " \t\r\n>":
                    j += 1
                value = tag[i:j]
                i = j
        attrs[name] = _entities(value)
    return attrs


def _tag_end(data, i):
    """Index of the '>' closing the tag that starts at i, skipping quoted values; -1 if not yet."""
    q = 0
    n = len(data)
    while i < n:
        c = data[i]
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
    """(csrf, [resource values]) from the consent page, streamed one buffer at a time."""
    csrf = None
    resources = []
    carry = b""
    total = 0
    chunk = bytearray(512)
    mv = memoryview(chunk)
    while True:
        n = resp.readinto(mv)
        if not n:
            break
        total += n
        if total > MAX_PAGE:
            resp.close()
            raise ProtocolError("the consent page is over %d bytes; is this really accounts.athom.com?" % MAX_PAGE)
        data = carry + bytes(mv[:n])
        low = data.lower()
        i = 0
        carry = b""
        while True:
            j = low.find(b"<input", i)
            if j < 0:
                carry = data[max(i, len(data) - 6):]
                break
            k = _tag_end(data, j)
            if k < 0:
                carry = data[j:]
                if len(carry) > 4096:
                    carry = b""
                break
            a = parse_attrs(data[j:k].decode())
            name = a.get("name")
            if name == "_csrf" and a.get("value"):
                csrf = a["value"]
            elif name == "resource" and a.get("value", "").startswith("resource.homey."):
                resources.append(a["value"])
            i = k + 1
    return csrf, resources
