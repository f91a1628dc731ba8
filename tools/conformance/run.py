#!/usr/bin/env python3
"""Athom's own client, homey-api, against the simulator: `make conformance`.

Starts the simulator (HTTPS with its own CA), then runs check.js under node with
homey-api from build/conformance (installed there by `make conformance` from
tools/conformance/package-lock.json). check.js prints one PASS/FAIL line per
check; when it needs to know or change the simulator's state (a login code, a
value, expired tokens) it writes an `@rpc {...}` line and reads the answer as
one JSON line on its stdin. Only 127.0.0.1/localhost is ever contacted.

Exit status: 0 every check passed, 1 a check failed, 2 it could not run.
"""
import argparse
import json
import os
import subprocess
import sys
import threading

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.dirname(HERE))

from homeysim import Simulator, probe  # noqa: E402

DEFAULT_PREFIX = os.path.join(ROOT, "build", "conformance")
RUN_TIMEOUT = 180  # seconds for the whole node run; each check has its own shorter limit
RPC_PREFIX = "@rpc "


def homey_api_dir(prefix):
    return os.path.join(os.path.abspath(prefix), "node_modules", "homey-api")  # node resolves from check.js


def request_record(q):
    """What check.js may see of a logged request: shapes, never a secret's value."""
    rec = {"role": q.role, "method": q.method, "path": q.path, "query": q.query, "status": q.status,
           "auth": (q.header("authorization") or "").split(" ")[0], "type": q.content_type()}
    if rec["type"] == "application/x-www-form-urlencoded":
        form = q.form()
        rec["form_keys"] = sorted(form)
        rec["grant_type"] = form.get("grant_type")
    elif rec["type"] == "application/json" and q.body and not q.path.endswith("/users/login"):
        rec["json"] = q.json()
    return rec


class Rpc:
    """The simulator-side answers to check.js's questions."""

    def __init__(self, sim):
        self.sim = sim
        self.h = sim.homey(0)

    def answer(self, ask):
        op = ask.get("op")
        fn = getattr(self, "op_" + str(op), None)
        if fn is None:
            return {"error": "unknown rpc op %r" % (op,)}
        try:
            return {"ok": fn(**{k: v for k, v in ask.items() if k != "op"})}
        except Exception as e:  # reported to check.js, which fails the check that asked
            return {"error": "%s: %s" % (e.__class__.__name__, e)}

    def op_code(self):
        return probe.code_for(self.sim)

    def op_user_jwt(self):
        return probe.user_jwt(self.sim)

    def op_value(self, device, cap):
        return self.h.value(device, cap)

    def op_variable(self, id):
        with self.sim.lock:
            return dict(self.h.variables[id])

    def op_triggered(self):
        return [list(t) for t in self.h.triggered]

    def op_zones(self):
        with self.sim.lock:
            return {z: v["name"] for z, v in self.h.zones.items()}

    def op_devices(self):
        with self.sim.lock:
            return {d: {"name": v["name"], "zone": v["zone"]} for d, v in self.h.devices.items()}

    def op_mark(self):
        return len(self.sim.requests)

    def op_requests(self, since):
        return [request_record(q) for q in self.sim.requests[since:]]

    def op_expire_access_tokens(self):
        self.sim.expire_access_tokens()

    def op_expire_homey_sessions(self):
        self.sim.expire_homey_sessions()


def setup(sim):
    """What check.js needs to know: the simulator's URLs and the account (secrets stay in env)."""
    h = sim.homey(0)
    return {
        "api_url": sim.api_url, "accounts_url": sim.accounts_url,
        "client_id": sim.client_id, "client_secret": sim.client_secret, "redirect_uri": sim.redirect_uri,
        "homey_id": h.id, "homey_name": h.name, "homey_version": h.software_version,
        "local_url": h.local_url, "local_secure_url": h.local_secure_url, "remote_url": h.remote_url,
        "api_key": h.create_api_key("conformance"),
    }


def run(node, prefix, sim):
    env = dict(os.environ, NODE_EXTRA_CA_CERTS=sim.ca_pem_path, HOMEY_API_DIR=homey_api_dir(prefix),
               UHOMEY_CONFORMANCE=json.dumps(setup(sim)))
    for key in [k for k in env if k.endswith("_BASEURL")]:  # homey-api reads <API>_BASEURL overrides
        del env[key]
    proc = subprocess.Popen([node, os.path.join(HERE, "check.js")], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, env=env, text=True, bufsize=1)
    timed_out = threading.Event()

    def kill():
        timed_out.set()
        proc.kill()

    watchdog = threading.Timer(RUN_TIMEOUT, kill)
    watchdog.start()
    rpc = Rpc(sim)
    fails = 0
    try:
        for line in proc.stdout:
            if line.startswith(RPC_PREFIX):
                proc.stdin.write(json.dumps(rpc.answer(json.loads(line[len(RPC_PREFIX):]))) + "\n")
                proc.stdin.flush()
                continue
            fails += line.startswith("FAIL")
            sys.stdout.write(line)
            sys.stdout.flush()
        rc = proc.wait()
    finally:
        watchdog.cancel()
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    if timed_out.is_set():
        print("FAIL check.js did not finish within %d s" % RUN_TIMEOUT)
    elif rc != 0 and not fails:
        print("FAIL check.js ended with status %s (its error is above)" % rc)
    return 0 if rc == 0 and not fails else 1


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--prefix", default=DEFAULT_PREFIX, help="where homey-api is installed (build/conformance)")
    ap.add_argument("--node", default="node", help="the node binary")
    args = ap.parse_args(argv)
    if not os.path.isfile(os.path.join(homey_api_dir(args.prefix), "package.json")):
        print("homey-api is not installed in %s: run `make conformance`" % args.prefix, file=sys.stderr)
        return 2
    with Simulator() as sim:
        try:
            return run(args.node, args.prefix, sim)
        except OSError as e:
            print("cannot run %s: %s" % (args.node, e), file=sys.stderr)
            return 2


if __name__ == "__main__":
    sys.exit(main())
