"""The mip package files: current with the tree, and installable by mpremote's own mip
code onto a board (the unix port's REPL on a pty), after which uhomey imports from /lib."""
import json
import subprocess
import sys

import pytest

from conftest import ROOT
from ptyboard import PtyBoard


def test_package_files_are_current_with_the_tree():
    p = subprocess.run([sys.executable, str(ROOT / "tools" / "mkpackages.py"), "--check"], capture_output=True,
                       text=True, timeout=60)
    assert p.returncode == 0, p.stdout + "\nrun: .venv/bin/python tools/mkpackages.py"


def test_the_library_package_lists_every_module_and_the_error_texts():
    pkg = json.loads((ROOT / "package.json").read_text())
    listed = {target for target, _url in pkg["urls"]}
    on_disk = {"uhomey/" + p.name for p in (ROOT / "lib" / "uhomey").iterdir() if p.suffix in (".py", ".txt")}
    assert listed == on_disk
    assert all((ROOT / url).is_file() and not url.startswith(("/", "..")) for _t, url in pkg["urls"])


@pytest.fixture
def board(tmp_path):
    b = PtyBoard(tmp_path / "board")
    yield b
    b.close()


def test_mip_installs_the_library_and_it_imports(board, tmp_path, mpy):
    from mpremote import mip

    link = board.connect()
    try:
        mip._install_json(link.t, str(ROOT / "package.json"), "", "lib", None, False)
    finally:
        link.close()
    files = board.files()
    assert "lib/uhomey/texts.py" in files and "lib/uhomey/http.py" in files
    r = mpy("import sys\nsys.path.insert(0, 'lib')\nimport uhomey\nprint(uhomey.__file__, uhomey.__version__)\n"
            "from uhomey.errors import text\nprint(text('no_device', 'X'))\n", cwd=str(tmp_path / "board")).check()
    assert "lib/uhomey/__init__.py" in r.out
    assert 'no device named "X" on the Homey' in r.out
