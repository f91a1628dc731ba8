"""A board without hardware for the deploy tests: the MicroPython unix port's REPL on a
pseudo-terminal, driven by mpremote's real SerialTransport (raw REPL, fs writes), with
the board's root in a temporary folder. MicroPython runs on one pty; mpremote opens a
second one by name; a thread copies bytes between the two masters (a serial cable)."""
import os
import pty
import select
import subprocess
import sys
import threading
import tty

from mpyrun import micropython_binary

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "tools"))
import boardlink  # noqa: E402

PUMP_WAIT_S = 0.2


class PtyBoard:
    def __init__(self, root, binary=None):
        """binary: another MicroPython build (e.g. one with uhomey frozen in); default the pinned one."""
        self.root = str(root)
        os.makedirs(self.root, exist_ok=True)
        self.mp_master, mp_slave = pty.openpty()
        tty.setraw(mp_slave)
        self.proc = subprocess.Popen([binary or micropython_binary()], stdin=mp_slave, stdout=mp_slave, stderr=mp_slave,
                                     close_fds=True)
        os.close(mp_slave)
        self.link_master, self.link_slave = pty.openpty()
        tty.setraw(self.link_master)
        tty.setraw(self.link_slave)
        self.stop = threading.Event()
        self.pump = threading.Thread(target=self._pump, daemon=True)
        self.pump.start()
        self.writes = []  # board paths written, in order

    def _pump(self):
        ends = {self.mp_master: self.link_master, self.link_master: self.mp_master}
        while not self.stop.is_set() and self.proc.poll() is None:
            ready, _, _ = select.select(list(ends), [], [], PUMP_WAIT_S)
            for fd in ready:
                try:
                    os.write(ends[fd], os.read(fd, 4096))
                except OSError:
                    return

    def connect(self):
        """A boardlink.Board on this fake board; its writes are recorded in self.writes."""
        from mpremote.transport_serial import SerialTransport

        t = SerialTransport(os.ttyname(self.link_slave), timeout=10)
        t.enter_raw_repl(soft_reset=False)  # a soft reset (Ctrl-D) ends the unix port's REPL
        board = boardlink.Board(t, self.root, close=lambda: (t.exit_raw_repl(), t.close()))
        write = board.write

        def recorded(path, data, progress=None):
            self.writes.append(path)
            write(path, data, progress)

        board.write = recorded
        return board

    def close(self):
        self.stop.set()
        self.proc.kill()
        self.proc.wait(timeout=10)
        self.pump.join(timeout=5)
        for fd in (self.mp_master, self.link_master, self.link_slave):
            os.close(fd)

    def files(self):
        """{board path: bytes} of everything under the root."""
        out = {}
        for here, _dirs, names in os.walk(self.root):
            for n in names:
                p = os.path.join(here, n)
                with open(p, "rb") as f:
                    out[os.path.relpath(p, self.root).replace(os.sep, "/")] = f.read()
        return out
