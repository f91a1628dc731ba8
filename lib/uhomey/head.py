# Reading an answer's head off a connection and setting up how its body is
# framed (Content-Length, chunked, until close); chunk-size lines too.
from .errors import ProtocolError, fault

# At most 64 header lines (a literal: from source, every name is a qstr for good).


def read_head(conn):
    conn.await_head()
    while True:
        line = conn.readline()
        if not line:
            raise EOFError()
        parts = line.split(None, 2)
        if len(parts) < 2 or not parts[0].startswith(b"HTTP/") or not parts[1].isdigit():
            raise fault(ProtocolError, 39, conn.host)  # %s did not answer with HTTP
        status = int(parts[1])
        keep = parts[0] == b"HTTP/1.1"
        headers = []
        while True:
            line = conn.readline()
            if not line:
                raise EOFError()
            if not line.strip():
                break
            if len(headers) >= 64:
                raise fault(ProtocolError, 40, conn.host)  # %s sent too many headers
            i = line.find(b":")
            if i > 0:
                k = line[:i].strip().decode()
                v = line[i + 1:].strip().decode()
                headers.append((k, v))
        if not 100 <= status < 200:
            break
    for k, v in headers:
        if k.lower() == "connection":
            v = v.lower()
            keep = "close" not in v and (keep or "keep-alive" in v)
    return status, headers, keep


def frame(r, method, status):
    te = r.header("transfer-encoding", "")
    cl = r.header("content-length")
    if "chunked" in te.lower():
        r._chunked = True
        r._left = 0
        return
    if method == "HEAD" or status in (204, 304):
        r._left = 0
    elif cl is not None:
        if not cl.isdigit():
            r._keep = False
            r._finish()
            raise fault(ProtocolError, 41, r.where())  # bad Content-Length from %s
        r._left = int(cl)
    else:
        r._keep = False
    if not r._left:
        r._finish()


def next_chunk(r):
    """Read the next chunk-size line of a chunked body (and the trailers after the last)."""
    c = r._conn
    if r._chunks:
        c.readline(8)  # the CRLF after the previous chunk
    r._chunks += 1
    line = c.readline(256)
    if not line:
        r._cut()
    try:
        size = int(line.split(b";")[0].strip(), 16)
    except ValueError:
        raise fault(ProtocolError, 42, r.where())  # bad chunk size from %s
    if size == 0:
        for _ in range(64):  # trailers, then the blank line
            t = c.readline()
            if not t:
                r._cut()
            if not t.strip():
                break
        r._finish()
    r._left = size
