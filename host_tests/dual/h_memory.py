# Presses on a heap squeezed by ballast (MicroPython): with little or no memory left, a
# public call must end as a success or a HomeyError, never a raw MemoryError, and once the
# ballast goes the next press works again.
import gc

import uhomey

OK, HOMEY_ERROR, RAW_MEMORY, RAW_OTHER = 1, 2, 3, 4


def _fill(block):
    """Ballast filling the heap with `block`-byte blocks; returns the list that holds it."""
    ballast = []
    try:
        while True:
            ballast.append(bytearray(block))
    except MemoryError:
        pass
    return ballast


def _press(press, did):
    try:
        press(did)
        return OK
    except uhomey.HomeyError:
        return HOMEY_ERROR
    except MemoryError:
        return RAW_MEMORY
    except Exception:  # noqa: BLE001 - what escapes is the finding
        return RAW_OTHER


def squeezed(cfg_path, did, method, steps, block):
    """For k = 1 .. steps: fill the heap, free k blocks of `block` bytes, press (`method` on
    device `did`), drop the ballast, press again. Returns [[squeezed, after], ...] outcomes.
    (With nothing at all free, not even the caller's call can start: k starts at one.)"""
    h = uhomey.connect(cfg_path)
    press = getattr(h, method)  # the bound method made now: the caller's own allocation
    press(did)  # warm: what the call compiles is in place
    codes = bytearray(2 * steps)  # filled in place: no allocation while the heap is full
    for k in range(steps):
        gc.collect()
        ballast = _fill(block)
        for _ in range(k + 1):
            ballast.pop()
        codes[2 * k] = _press(press, did)
        ballast = None
        gc.collect()
        codes[2 * k + 1] = _press(press, did)
    h.close()
    return [[codes[2 * k], codes[2 * k + 1]] for k in range(steps)]
