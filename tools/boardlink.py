"""The link to a MicroPython board for deploy.py: a few short snippets run in the board's
raw REPL through mpremote's transport (the same code mpremote's own commands use), so a
deploy needs nothing on the board but MicroPython itself.

`Board` wraps any mpremote transport: `SerialTransport` for a USB cable (`open_serial`),
or, in the tests, the same class on a pseudo-terminal that runs the MicroPython unix
port's REPL. Every board path is relative to the board's root (`/` on a real board)."""
import ast

# sys.implementation._mpy = version | sub_version << 8 | arch << 10; the arch numbers are
# MicroPython's (py/persistentcode.h), the names are mpy-cross's -march values.
ARCHES = (None, "x86", "x64", "armv6", "armv6m", "armv7m", "armv7em", "armv7emsp", "armv7emdp", "xtensa",
          "xtensawin", "rv32imc", "rv64imc")
CHUNK = 256  # bytes per raw-REPL write: what mpremote's own `cp` sends

_PROBE = """import sys
i=sys.implementation
print(repr((getattr(i,'_mpy',None),tuple(i.version[:3]),sys.platform,getattr(i,'_machine',''))))
"""

# Which of the given packages are frozen into the firmware: imported with only '.frozen' on the
# path (a copy in /lib, maybe loaded by boot.py, must not answer for it).
_FROZEN = """import sys
p=sys.path[:]
sys.path[:]=['.frozen']
for n in %r:
 m=sys.modules.pop(n,None)
 try:
  __import__(n)
  print(n)
 except ImportError:
  pass
 sys.modules.pop(n,None)
 if m:
  sys.modules[n]=m
sys.path[:]=p
"""

# Lists every file under the given folders and the given single files, each with its
# SHA-256 (or '?' on a build without hashlib): one round trip however many files.
_LIST = """import os
try:
 import hashlib,binascii
except ImportError:
 hashlib=None
b=bytearray(512)
m=memoryview(b)
def h(p):
 if hashlib is None:
  return '?'
 d=hashlib.sha256()
 f=open(p,'rb')
 while 1:
  n=f.readinto(b)
  if not n:
   break
  d.update(m[:n])
 f.close()
 return binascii.hexlify(d.digest()).decode()
def walk(p):
 try:
  l=list(os.ilistdir(p))
 except OSError:
  return
 print(repr(('D',p,'')))
 for e in l:
  q=p+'/'+e[0]
  if e[1]&0x4000:
   walk(q)
  else:
   print(repr(('F',q,h(q))))
for p in %r:
 walk(p)
for p in %r:
 try:
  print(repr(('F',p,h(p))))
 except OSError:
  pass
"""


class BoardError(Exception):
    """The board did not do what was asked; the message says what and how to recover."""


class Board:
    def __init__(self, transport, root="/", close=None):
        """transport: an mpremote transport already in the raw REPL; close: called by close()."""
        self.t = transport
        self._close = close
        self.run("import os\nos.chdir(%r)" % root)

    def run(self, code):
        """Run code on the board; its printed output (str). BoardError with the board's own
        last traceback line if it raised."""
        from mpremote.transport import TransportError, TransportExecError

        try:
            return self.t.exec(code).decode("utf-8", "replace")
        except TransportExecError as e:
            last = (e.error_output.strip().splitlines() or ["?"])[-1]
            raise BoardError("the board raised %s" % last) from None
        except TransportError as e:
            raise BoardError("lost the board's REPL (%s): unplug and replug it, then run again" % e) from None

    def probe(self):
        """{"mpy": int or None, "version": (1, 24, 1), "platform": "esp32", "machine": str}."""
        mpy, version, platform, machine = ast.literal_eval(self.run(_PROBE).strip())
        return {"mpy": mpy, "version": version, "platform": platform, "machine": machine}

    def frozen(self, packages):
        """The names among `packages` that are frozen into the board's firmware."""
        return set(self.run(_FROZEN % (list(packages),)).split())

    def files(self, folders, singles):
        """({path: sha256 hex or "?"}, {folders that exist}) for every file under `folders` and
        each of `singles` that exists."""
        found, dirs = {}, set()
        for line in self.run(_LIST % (list(folders), list(singles))).splitlines():
            kind, path, sha = ast.literal_eval(line)
            if kind == "D":
                dirs.add(path)
            else:
                found[path] = sha
        return found, dirs

    def mkdirs(self, folders):
        """Create folders (parents first; existing ones are fine)."""
        code = "import os\nfor p in %r:\n try:\n  os.mkdir(p)\n except OSError:\n  pass\n" % sorted(folders)
        self.run(code)

    def write(self, path, data, progress=None):
        """Write path whole: to path.tmp, then a rename, so a cable pulled mid-copy leaves the old file."""
        from mpremote.transport import TransportError

        tmp = path + ".tmp"
        try:
            self.t.fs_writefile(tmp, data, chunk_size=CHUNK, progress_callback=progress)
        except (OSError, TransportError) as e:
            raise BoardError("writing %s failed (%s): is the board's flash full? (`mpremote df`)" % (path, e)) from None
        self.run("import os\nos.rename(%r,%r)" % (tmp, path))

    def remove(self, paths):
        self.run("import os\nfor p in %r:\n os.remove(p)\n" % sorted(paths))

    def close(self):
        if self._close:
            self._close()


def mpy_target(mpy):
    """(version, sub_version, march name or None) from sys.implementation._mpy."""
    return mpy & 0xFF, (mpy >> 8) & 3, ARCHES[mpy >> 10] if (mpy >> 10) < len(ARCHES) else None


def find_port():
    """The one USB serial port that looks like a board; BoardError listing them otherwise."""
    from serial.tools import list_ports

    usb = [p for p in list_ports.comports() if p.vid is not None]
    if len(usb) == 1:
        return usb[0].device
    if not usb:
        raise BoardError("no board found on USB: plug it in (a data cable, not a charge-only one) "
                         "or give --port, e.g. --port /dev/ttyUSB0")
    raise BoardError("several serial ports: %s; give one with --port" % ", ".join(p.device for p in usb))


def open_serial(port):
    """A Board on a USB serial port (interrupts whatever runs, soft-resets into the raw REPL)."""
    from mpremote.transport import TransportError
    from mpremote.transport_serial import SerialTransport

    try:
        t = SerialTransport(port, baudrate=115200)
        t.enter_raw_repl(soft_reset=True)
    except (OSError, TransportError) as e:
        raise BoardError("cannot open the board's REPL on %s (%s): close other serial monitors "
                         "(another mpremote, screen, Thonny) and try again" % (port, e)) from None

    def close():
        t.exit_raw_repl()
        t.close()

    return Board(t, "/", close)
