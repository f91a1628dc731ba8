# /boot.py on a board: the safe-mode and boot-loop check, nothing else (see
# wallbutton/boot_guard.py). main.py asks boot_guard.check() what was decided.
from wallbutton import boot_guard

boot_guard.at_boot()
