#!/usr/bin/env python3
"""Run the Athom cloud + Homey simulator on 127.0.0.1 until Ctrl-C or SIGTERM.

Prints every base URL, the CA path and a ready uhomey config (also written to
<workdir>/config.json). See tools/README.md.
"""
import argparse
import json
import os
import signal
import sys
import threading

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

from homeysim import Simulator  # noqa: E402


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--homeys", type=int, default=1, help="Homeys on the account (default 1)")
    ap.add_argument("--devices", type=int, default=3, help="devices per Homey (default 3)")
    ap.add_argument("--otp", default=None, help="require this 6-digit two-factor code at login")
    ap.add_argument("--workdir", default=os.path.join(os.path.dirname(HERE), "build", "sim"),
                    help="where the CA, server key and config.json go (default build/sim)")
    ap.add_argument("--mode", choices=("cloud", "apikey"), default="cloud",
                    help="config to print: Athom password flow (cloud) or a local API key")
    ap.add_argument("--scheme", choices=("https", "http"), default="https",
                    help="scheme of the URLs in the printed config")
    ap.add_argument("--consent-variant", type=int, choices=(0, 1, 2), default=0)
    ap.add_argument("--remember-consent", action="store_true")
    ap.add_argument("--jwt-homey-key", choices=("homey", "homeyId", "homeys"), default="homey")
    ap.add_argument("--ping", type=int, default=None, metavar="MS",
                    help="the realtime socket's pingInterval and pingTimeout (default 25000 and 5000)")
    ap.add_argument("--print-and-exit", action="store_true",
                    help="start, print, stop: for scripts and tests")
    args = ap.parse_args(argv)

    sim = Simulator(workdir=args.workdir, homeys=args.homeys, devices=args.devices, otp=args.otp,
                    consent_variant=args.consent_variant, remember_consent=args.remember_consent,
                    jwt_homey_key=args.jwt_homey_key)
    if args.ping:
        sim.realtime.ping_interval = sim.realtime.ping_timeout = args.ping
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *a: stop.set())
    signal.signal(signal.SIGINT, lambda *a: stop.set())
    sim.start()
    try:
        cfg_path = os.path.join(sim.workdir, "config.json")
        cfg = sim.write_config(cfg_path, mode=args.mode, scheme=args.scheme)
        out = ["uhomey simulator (Athom accounts + cloud API + webhooks + %d Homey%s)"
               % (len(sim.homeys), "s" if len(sim.homeys) > 1 else "")]
        for role in ("accounts", "api", "webhook"):
            out.append("  %-9s %s   %s" % (role, sim.url(role, "https"), sim.url(role, "http")))
        for h in sim.homeys:
            out.append("  homey %d   %s %r api v%d" % (h.index, h.id, h.name, h.api_version))
            out.append("            local %s  local_secure %s  remote %s"
                       % (h.local_url, h.local_secure_url, h.remote_url))
        out.append("  account   %s / %r%s" % (sim.email, sim.password,
                                                " otp %s" % sim.otp if sim.otp else ""))
        out.append("CA (DER): %s" % sim.ca_der_path)
        out.append("CA (PEM): %s" % sim.ca_pem_path)
        out.append("config:   %s" % cfg_path)
        out.append(json.dumps(cfg, indent=2, ensure_ascii=False))
        print("\n".join(out), flush=True)
        if not args.print_and_exit:
            print("running; Ctrl-C or SIGTERM stops it", flush=True)
            while not stop.wait(0.5):
                pass
    finally:
        sim.stop()
    print("stopped", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
