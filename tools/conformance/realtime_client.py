#!/usr/bin/env python3
"""uhomey.realtime against a real Socket.IO 2.5 server (socketio_homey.js), on CPython
and on the MicroPython unix port. Prints PASS/FAIL lines; exit 1 on a failure, 2 when it
cannot run. Needs node and the packages `make conformance` installs (socket.io 2.5.0 is pinned beside homey-api).

The simulator's realtime socket is checked against Athom's client (realtime.mjs); this
checks our client against the reference server, so neither side rests on one reading.
"""
import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path[:0] = [os.path.join(ROOT, "lib"), os.path.join(ROOT, "host_tests")]

from both import INTERPS, call  # noqa: E402

STAY_MS = 2000   # polling on after the changes: more than two of the server's ping deadlines


def checks(res):
    said = [s[0] for s in res["said"]]
    yield "a refused token is surfaced (AUTH), then UP with a new one", said[:2] == ["AUTH", "UP"], said
    yield ("a change, a 70 KB update and a change arrive in order", res["changes"] ==
           [["d1", "onoff", True, False], ["d1", "dim", 0.25, False], ["d1", "dim", 0.5, False]], res["changes"])
    yield "our pings keep the link (no DOWN in %d ms at 400 ms pings)" % STAY_MS, "DOWN" not in said, said


def main():
    try:
        srv = subprocess.Popen(["node", os.path.join(HERE, "socketio_homey.js")], stdin=subprocess.PIPE,
                               stdout=subprocess.PIPE, text=True)
        port = int(srv.stdout.readline())
    except (OSError, ValueError) as e:
        print("FAIL could not start socketio_homey.js (node, socket.io@2.5.0 installed?): %s" % e)
        return 2
    failed = 0
    try:
        for interp in INTERPS:
            r = call(interp, "r_realtime", "run", "http://127.0.0.1:%d" % port, "bad-token", "homey-id",
                     [["d1", ["onoff", "dim"]]], 3, 10000, {"renew": "good-token", "stay_ms": STAY_MS})
            if "error" in r:
                print("FAIL %s: %s %s" % (interp, r["error"], r["msg"]))
                failed += 1
                continue
            for name, passed, got in checks(r["ok"]):
                print("%s %s: %s%s" % ("PASS" if passed else "FAIL", interp, name, "" if passed else " (%r)" % (got,)))
                failed += not passed
    finally:
        srv.stdin.close()
        srv.wait(5)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
