"""Onboarding on the PC: the Athom login runs here (the same uhomey code, under CPython),
so the board never needs your password.

    .venv/bin/python tools/onboard.py login  --config config.json [--port PORT | --no-deploy]
    .venv/bin/python tools/onboard.py list   --config config.json
    .venv/bin/python tools/onboard.py apikey --config config.json --url http://192.168.1.20 [--port PORT | --no-deploy]

login   asks the password (and the 2FA code when the account has one) without echo, logs
        in, picks the Homey (asks when the account has several), writes the token store
        beside the config and the config with homey.id and without password, then runs
        deploy, which moves the token store onto the board.
list    prints the account's Homeys and the Homey's devices by zone, and its flows: the
        names to write into button mappings. It keeps its own login (host-tokens.json
        beside the config), never the board's.
apikey  Homey Pro: asks the API key without echo, checks it against the Homey (the key's
        scopes against what the config's buttons need) and only then writes it into the
        config, then deploys.
"""
import argparse
import getpass
import json
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "lib"))
sys.path.insert(0, HERE)

import deploy  # noqa: E402
import uhomey  # noqa: E402

HOST_TOKENS = "host-tokens.json"
OTP_TRIES = 3
# what a button's action needs of a Homey Pro API key: any one of the scopes listed
# (a broader scope includes the narrower ones; "homey" is everything)
NEEDS = {"device": ("homey", "homey.device", "homey.device.control"),
         "flow": ("homey", "homey.flow", "homey.flow.start"),
         "logic": ("homey", "homey.logic")}
ACTION_NEEDS = {"flow": "flow", "variable": "logic", "webhook": None, "none": None}


class OnboardError(Exception):
    pass


class Prompt:
    """Questions to the person at the keyboard; secrets without echo. Tests pass a scripted one."""

    def secret(self, text):
        return getpass.getpass(text)

    def line(self, text):
        return input(text)


# ---- config files ------------------------------------------------------------------------------

def read_config(path):
    try:
        with open(path, encoding="utf-8") as f:
            raw = json.load(f)
    except OSError as e:
        raise OnboardError("cannot read %s (%s): write one first (README: Config)" % (path, e.strerror)) from None
    except ValueError as e:
        raise OnboardError("%s is not valid JSON (%s)" % (path, e)) from None
    if not isinstance(raw, dict):
        raise OnboardError("%s must hold one JSON object" % path)
    return raw


def write_config(path, raw):
    """Written whole (tmp + rename), private: it may hold an API key or a client secret."""
    tmp = path + ".tmp"
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        json.dump(raw, f, indent=2, ensure_ascii=False)
        f.write("\n")
    os.replace(tmp, path)


def absolute(raw, base, tokens):
    """A copy of raw for uhomey.connect() with its file paths absolute and the given token store."""
    cfg = json.loads(json.dumps(raw))
    tls = cfg.get("tls")
    if isinstance(tls, dict) and tls.get("ca"):
        cas = [tls["ca"]] if isinstance(tls["ca"], str) else tls["ca"]
        tls["ca"] = [c if os.path.isabs(c) else os.path.join(base, c) for c in cas]
    cfg["tokens"] = tokens
    return cfg


def token_path(raw, base):
    name = raw.get("tokens") or "tokens.json"
    return name if os.path.isabs(name) else os.path.join(base, name)


# ---- the Athom login ---------------------------------------------------------------------------

def athom_login(raw, base, store, prompt, out):
    """uhomey.connect() with a fresh password login into the token store `store`; asks the
    password, and the 2FA code only when Athom says the account needs one."""
    athom = raw.get("athom") if isinstance(raw.get("athom"), dict) else {}
    if not athom.get("client_id") or not athom.get("client_secret"):
        raise OnboardError("athom.client_id / athom.client_secret are missing in the config: create an app in "
                           "the Athom developer portal (README: Client credentials)")
    email = athom.get("email") or prompt.line("Athom e-mail: ").strip()
    password = prompt.secret("Athom password for %s: " % email)
    if os.path.exists(store):
        os.remove(store)  # a fresh login: nothing of an earlier one is reused
    otp = ""
    for attempt in range(OTP_TRIES + 1):
        cfg = absolute(raw, base, store)
        cfg["athom"] = dict(athom, email=email, password=password, otp=otp)
        try:
            return uhomey.connect(cfg)
        except uhomey.AuthError as e:
            if e.code not in ("otp_required", "invalid_otp", "invalid_otptoken") or attempt == OTP_TRIES:
                raise
            if e.code != "otp_required":
                out("that code was not accepted; codes change every 30 s")
            otp = prompt.secret("2FA code from your authenticator app: ").replace(" ", "")


def pick_homey(h, raw, prompt, out):
    """The Homey to use: the config's homey.id, the only one, or the person's choice."""
    homeys = h.homeys()
    current = h.auth.homey_id
    wanted = (raw.get("homey") or {}).get("id")
    if wanted or len(homeys) < 2:
        return current
    out("This account has %d Homeys:" % len(homeys))
    for n, (hid, name, platform, model) in enumerate(homeys, 1):
        mark = "  (Enter)" if hid == current else ""
        out("  %d. %s  %s, %s  id %s%s" % (n, name, model or "?", platform or "?", hid, mark))
    while True:
        answer = prompt.line("Which one should the button use? [1-%d]: " % len(homeys)).strip()
        if not answer:
            return current
        if answer.isdigit() and 1 <= int(answer) <= len(homeys):
            return homeys[int(answer) - 1][0]
        out("type a number from 1 to %d" % len(homeys))


def login(args, prompt, out, board=None):
    raw = read_config(args.config)
    base = os.path.dirname(os.path.abspath(args.config))
    store = token_path(raw, base)
    fresh = store + ".new"  # the login's own file until it succeeds: a failed one leaves the old store
    try:
        hid, name, count = login_session(raw, base, fresh, prompt, out)
    except BaseException:
        if os.path.exists(fresh):
            os.remove(fresh)
        raise
    os.replace(fresh, store)
    raw.setdefault("homey", {})["id"] = hid
    athom = raw.get("athom")
    if isinstance(athom, dict):
        athom.pop("password", None)
        athom.pop("otp", None)
    write_config(args.config, raw)
    out("logged in: Homey %s (%s), %d devices" % (name, hid, count))
    out("wrote %s (no password in it) and the token store %s" % (deploy.shown(args.config), deploy.shown(store)))
    hand_to_deploy(args, out, board)


def login_session(raw, base, store, prompt, out):
    """The login into `store` and the Homey chosen: (homey id, its name, device count)."""
    h = athom_login(raw, base, store, prompt, out)
    hid = pick_homey(h, raw, prompt, out)
    if hid != h.auth.homey_id:
        # the Athom tokens are the account's: uhomey keeps them and finds the other Homey
        raw.setdefault("homey", {})["id"] = hid
        h.close()
        h = uhomey.connect(absolute(raw, base, store))
    try:
        name = dict((x[0], x[1]) for x in h.homeys()).get(hid, "?")
        return hid, name, len(h.devices())
    finally:
        h.close()


def hand_to_deploy(args, out, board):
    if args.no_deploy:
        out("next: .venv/bin/python tools/deploy.py --config %s [--port PORT]" % args.config)
        return
    argv = ["--config", args.config] + (["--port", args.port] if args.port else [])
    if deploy.main(argv, board=board):
        raise OnboardError("the config is written but the deploy failed (above); once the board is "
                           "plugged in: .venv/bin/python tools/deploy.py %s" % " ".join(argv))


# ---- listing what the Homey has ----------------------------------------------------------------

def host_session(raw, base, prompt, out):
    """A session of this PC's own: an API key config as it is, a cloud one through the host's
    own token store (logging in when it has none), never the board's."""
    homey = raw.get("homey") if isinstance(raw.get("homey"), dict) else {}
    if homey.get("api_key"):
        return uhomey.connect(absolute(raw, base, os.path.join(base, HOST_TOKENS)))
    store = os.path.join(base, HOST_TOKENS)
    if os.path.exists(store):
        try:
            return uhomey.connect(absolute(raw, base, store))
        except uhomey.AuthError as e:
            out("the PC's stored login no longer works (%s); logging in again" % e)
    out("this PC logs in on its own (kept in %s, apart from the board's tokens)" % HOST_TOKENS)
    return athom_login(raw, base, store, prompt, out)


def zone_names(h):
    """{zone id: name}; {} when the API key may not read zones."""
    try:
        zones = h.call("GET", "zones/zone/", what="listing the Homey's zones").json(1 << 20)
    except uhomey.HomeyError:
        return {}
    return dict((z, v.get("name")) for z, v in zones.items() if isinstance(v, dict))


def listing(args, prompt, out):
    raw = read_config(args.config)
    base = os.path.dirname(os.path.abspath(args.config))
    h = host_session(raw, base, prompt, out)
    try:
        homeys = h.homeys()
        if homeys:
            out("Homeys on the account:")
            for hid, name, platform, model in homeys:
                out("  %s %s  %s, %s  id %s" % ("*" if hid == h.auth.homey_id else " ", name, model or "?",
                                                platform or "?", hid))
        zones = zone_names(h)
        by_zone = {}
        for did, name, zone, cls in h.devices():
            by_zone.setdefault(zones.get(zone, zone) or "(no zone)", []).append((name, cls, did))
        out("Devices by zone (names match exactly in button mappings):")
        for zone in sorted(by_zone, key=str.lower):
            out("  %s" % zone)
            for name, cls, did in sorted(by_zone[zone], key=lambda d: d[0].lower()):
                out("    %-28s %-16s %s" % (name, cls, did))
        flows = h.flows()
        if flows:
            out("Flows:")
            for fid, name, kind in sorted(flows, key=lambda f: f[1].lower()):
                out("    %-28s %-16s %s" % (name, kind, fid))
        out('A mapping: "buttons": [{"click": {"do": "toggle", "device": "<a device name above>"}}]')
    finally:
        h.close()


# ---- Homey Pro API key ---------------------------------------------------------------------------

def needed_scopes(raw):
    """{need: scopes, any one of which will do} for the config's buttons (a device at least)."""
    needs = {"device"}
    for b in raw.get("buttons") or []:
        for g, action in (b.items() if isinstance(b, dict) else ()):
            if g != "timing" and isinstance(action, dict):
                n = ACTION_NEEDS.get(action.get("do"), "device")
                if n:
                    needs.add(n)
    return dict((n, NEEDS[n]) for n in sorted(needs))


def apikey(args, prompt, out, board=None):
    raw = read_config(args.config)
    base = os.path.dirname(os.path.abspath(args.config))
    url = (args.url or "").rstrip("/")
    if not url.startswith(("http://", "https://")):
        raise OnboardError("--url must be the Homey's local address, e.g. http://192.168.1.20")
    key = prompt.secret("API key (Homey app: Settings > API Keys): ").strip()
    homey = dict(raw.get("homey") or {}, url=url, api_key=key)
    trial = absolute(dict(raw, homey=homey), base, os.path.join(base, HOST_TOKENS))
    trial.pop("athom", None)
    h = uhomey.connect(trial)
    try:
        me = h.call("GET", "sessions/session/me", what="reading the API key's scopes").json(1 << 16)
        scopes = set(me.get("scopes") or ()) if isinstance(me, dict) else set()
        missing = [n for n, ok in needed_scopes(raw).items() if not scopes & set(ok)]
        if missing:
            raise OnboardError("the key's scopes (%s) do not cover what the buttons need: %s; create a key with %s" % (
                ", ".join(sorted(scopes)) or "none", ", ".join(missing), " and ".join(NEEDS[n][-1] for n in missing)))
        count = len(h.devices())
        hid = h.auth.homey_id
    finally:
        h.close()
    homey["id"] = hid or homey.get("id") or ""
    raw["homey"] = homey
    write_config(args.config, raw)
    out("the key works: Homey %s, %d devices, scopes %s" % (hid or "?", count, ", ".join(sorted(scopes))))
    out("wrote %s (homey.url, homey.api_key, homey.id)" % args.config)
    hand_to_deploy(args, out, board)


def main(argv=None, prompt=None, board=None, out=print):
    ap = argparse.ArgumentParser(description="Log in on this PC and hand a password-free config to deploy.")
    sub = ap.add_subparsers(dest="mode", required=True)
    for mode, text in (("login", "Athom login, pick the Homey, write tokens and config, deploy"),
                       ("list", "print the Homeys, devices by zone and flows"),
                       ("apikey", "Homey Pro: check an API key and write it, deploy")):
        p = sub.add_parser(mode, help=text)
        p.add_argument("--config", default="config.json", help="the device config (default config.json)")
        if mode == "apikey":
            p.add_argument("--url", required=True, help="the Homey's local address, e.g. http://192.168.1.20")
        if mode != "list":
            p.add_argument("--port", help="the board's serial port for the deploy that follows")
            p.add_argument("--no-deploy", action="store_true", help="write the files; do not deploy")
    args = ap.parse_args(argv)
    prompt = prompt or Prompt()
    try:
        if args.mode == "login":
            login(args, prompt, out, board)
        elif args.mode == "list":
            listing(args, prompt, out)
        else:
            apikey(args, prompt, out, board)
    except (OnboardError, uhomey.HomeyError) as e:
        print("onboard: %s" % e, file=sys.stderr)
        return 1
    except (KeyboardInterrupt, EOFError):
        print("\nonboard: stopped; nothing more was written", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
