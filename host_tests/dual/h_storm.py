# A press storm (CPython and MicroPython): one boot, then many toggles of one device, each
# counted in requests, with any error (MemoryError included) recorded rather than fatal.
import uhomey


def storm(cfg_path, did, presses):
    """`presses` toggles of device `did`. Returns {"values": first and last value, "requests":
    [requests of the first press, most any later press made], "errors": first few errors,
    "failed": how many presses failed}."""
    h = uhomey.connect(cfg_path)
    http = h.http
    most = 0
    errors = []
    values = []
    first = None
    for i in range(presses):
        before = http.requests
        try:
            v = h.toggle(did)
        except MemoryError:
            v = "MemoryError"
        except uhomey.HomeyError as e:
            v = "%s: %s" % (e.__class__.__name__, e)
        if not isinstance(v, bool):
            errors.append(v)
        if not i or i == presses - 1:
            values.append(v)
        n = http.requests - before
        if not i:
            first = n
        else:
            most = max(most, n)
    h.close()
    return {"values": values, "requests": [first, most], "errors": errors[:3], "failed": len(errors)}
