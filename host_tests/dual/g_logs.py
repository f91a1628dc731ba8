# What a device logging warnings only shows its user (CPython and MicroPython).
import uhomey
from uhomey import log


def warnings(cfg_path, device):
    """Connect and read `device`'s onoff with only warnings logged: [value, [warning lines]]."""
    lines = []
    log.sink = lambda level, msg: lines.append(msg)
    log.level = log.WARNING
    h = uhomey.connect(cfg_path)
    try:
        return [h.get(device), lines]
    finally:
        h.close()
