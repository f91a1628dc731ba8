# Freezes the wall button into a MicroPython image: uhomey (lib/manifest.py), the
# gesture engine and the app are compiled into flash, where they cost no heap to load.
# Build steps: docs/freezing.md. By default the port's own frozen modules come first
# (an ESP32's neopixel, ntptime, asyncio...), so this file can be the FROZEN_MANIFEST
# on its own; a manifest that includes the port's itself passes port_manifest=None.
# Relative paths are relative to this file. Everything freezes, uhomey's error texts
# (texts.py) too: tools/deploy.py sees what is frozen and copies none of it.
import os

options.defaults(port_manifest="$(PORT_DIR)/boards/manifest.py")
if options.port_manifest:
    include(options.port_manifest)
include("../lib/manifest.py")
# whichever of the firmware's packages this checkout has (as deploy.py walks them)
for name, base in (("gestures", "../lib"), ("wallbutton", ".")):
    if os.path.isdir(os.path.join(base, name)):
        package(name, base_path=base)
