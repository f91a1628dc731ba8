# The Homey's big answers (devices, flows, variables: objects keyed by id) read
# as a stream through JsonScanner, keeping only the few fields asked for.
from .jscan import TOO_LONG, JsonScanner


def get(h, path, what, size, label=None):
    """(response, scanner over its JSON body) for GET path; the caller closes the response."""
    r = h.call("GET", path, what=what)
    if not r.is_json():
        r.json()  # raises the content-type error
    return r, JsonScanner(r.readinto, size, label or what)


def entries(sc):
    """The keys of an object whose entries are objects, each read by the caller (other entries skipped)."""
    for k in sc.keys():
        if sc.peek() == 123:
            yield k
        else:
            sc.skip()


def fields(sc, names, maxlen, d, sub=None):
    """The scalars named in `names` of the object at sc, into d (None for a string over maxlen).
    sub(key) may read a key's value itself (returning True); the rest is skipped."""
    for k in sc.keys():
        if k in names:
            v = sc.value(maxlen)
            d[k] = None if v is TOO_LONG else v
        elif not (sub and sub(k)):
            sc.skip()
    return d


def each(h, path, what, size, names, visit, label=None):
    """visit(id, fields) for every object entry of GET path, streamed."""
    r, sc = get(h, path, what, size, label)
    try:
        for key in entries(sc):
            d = fields(sc, names, 200, {})
            visit(d.get("id") or key, d)
    finally:
        r.close()
