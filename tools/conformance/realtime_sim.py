#!/usr/bin/env python3
"""The simulator behind tools/conformance/realtime.mjs, steered over stdin.

Starts a simulator (127.0.0.1 only), prints one JSON line {"url", "key", "id",
"lamp"} (the Homey's plain-HTTP URL, an API key, its id, the "Kitchen light"
device id), then answers each stdin line with one line, "ok <JSON>" or
"error <why>":

  drop                    cut every realtime socket (the fault switch)
  subscribed <device id>  how many sockets are subscribed to the device
  rename <device id> <name...>, delete <device id>

End of stdin (or SIGTERM) stops the simulator.
"""
import argparse
import json
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))

from homeysim import Simulator  # noqa: E402


def answer(sim, line):
    words = line.split()
    h = sim.homey()
    if words[0] == "drop":
        return sim.realtime.drop()
    if words[0] == "subscribed":
        return sim.realtime.subscribed("homey:device:" + words[1])
    if words[0] == "rename":
        return h.rename_device(words[1], " ".join(words[2:]))
    if words[0] == "delete":
        return h.delete_device(words[1])
    raise ValueError("unknown command %r" % words[0])


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--ping", type=int, default=300, help="pingInterval and pingTimeout, ms")
    ap.add_argument("--workdir", required=True)
    args = ap.parse_args()
    with Simulator(workdir=args.workdir) as sim:
        sim.realtime.ping_interval = sim.realtime.ping_timeout = args.ping
        h = sim.homey()
        print(json.dumps({"url": h.local_url, "key": h.create_api_key(), "id": h.id,
                          "lamp": h.device_by_name("Kitchen light")["id"]}), flush=True)
        for line in sys.stdin:
            if not line.strip():
                continue
            try:
                print("ok " + json.dumps(answer(sim, line)), flush=True)
            except Exception as e:  # reported to the check that asked
                print("error %s: %s" % (e.__class__.__name__, e), flush=True)


if __name__ == "__main__":
    main()
