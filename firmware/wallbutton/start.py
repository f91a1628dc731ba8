# What the firmware does once at boot, before the loop: the config (checked), the
# board file, the board's hardware and the log, and the safe-mode verdict. Unloaded when it returns (app.main),
# like the config checks, so the heap they took serves the presses.
from .app import forget


def board_file(cfg, boards_dir):
    """boards/<config board>.json on a PC; /board.json (a copy of it) on a board."""
    import json

    path = "%s/%s.json" % (boards_dir, cfg["board"]) if boards_dir else "board.json"
    try:
        with open(path) as f:
            return json.load(f)
    except (OSError, ValueError) as e:
        from uhomey import ConfigError

        raise ConfigError("config: board %r: cannot read %s (%s)" % (cfg["board"], path, e))


def start(config_path, boards_dir, out):
    """(cfg, board, hw, log), or an exit status after logging why the firmware cannot start."""
    import uhomey

    from . import cfg as config
    from .log import Log

    log = Log("info", out=out)
    try:
        cfg = config.load(config_path)
        config = None
        forget("wallbutton.cfg")
        log = Log(cfg["log"], out=out)
        board = board_file(cfg, boards_dir)
        hw = __import__("wallbutton.hw_" + board.get("platform", "?"), None, None, ("make",)).make(board, cfg, log)
    except (uhomey.HomeyError, ImportError) as e:
        log.error("cannot start: %s", e)
        return 1
    log.clock = hw.clock
    log.t0 = hw.clock.now()
    from . import boot_guard

    safe = boot_guard.check(hw, log)  # a reason: safe mode (it has said why, the LED shows it)
    boot_guard = None
    forget("wallbutton.boot_guard")  # the loop loads it again once, to settle (App.settle)
    if safe:
        return 0
    log.info("board %s, %d button(s), watchdog %s s", board.get("name"), len(cfg["buttons"]),
             cfg["watchdog_s"] or "off")
    return cfg, board, hw, log


def session(cfg, hw, log, homey_config):
    """The Homey session. A login that is due runs now, while the heap is at its cleanest (the
    app's modules not loaded yet): the heaviest thing the device ever does. With a stored
    session this costs no request; offline, or if the login fails, it waits for the first press
    (whose LED and log then say why)."""
    import uhomey

    ucfg = homey_config(cfg)
    wifi_ms = int((cfg.get("wifi") or {}).get("timeout_s", 15) * 1000)
    if cfg["watchdog_s"]:
        wifi_ms = min(wifi_ms, int(cfg["watchdog_s"] * 500))
    if hw.wifi.up(wifi_ms) and hw.sync_time():
        try:
            return uhomey.connect(ucfg, eager=True)
        except uhomey.ConfigError:
            raise
        except uhomey.HomeyError as e:
            log.warning("no Homey session at boot (%s); the first press tries again", e)
    return uhomey.connect(ucfg, eager=False)
