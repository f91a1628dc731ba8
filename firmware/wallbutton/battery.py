# Battery mode (config sleep.idle_s > 0), the part that runs just before deep sleep:
# loaded only then. What the waking press needs is kept in RTC memory: the config's
# device names resolved to ids (so it asks the Homey nothing before its request) and
# the on/off values this button set last (for sleep.toggle "remember").


def deepsleep(app):
    """Keep what the waking press needs and sleep until a button wakes the board."""
    learn_ids(app)
    hw = app.hw
    kept = hw.rtc.load()
    kept["ids"] = app.actions.ids
    kept["states"] = app.actions.states
    hw.rtc.save(kept)
    app.log.info("idle for %d s: deep sleep until a button wakes the board", app.sleep_ms // 1000)
    app.fb.off()
    hw.deepsleep(0)


def learn_ids(app):
    """Device names of the config resolved to ids once, so a waking press asks nothing first."""
    ids = app.actions.ids
    for b in app.cfg["buttons"]:
        for act in b["actions"].values():
            for name in act.get("devices") or ():
                if name in ids or (len(name) == 36 and name.count("-") == 4):  # known, or an id
                    continue
                app.hw.feed()
                try:
                    rows = [r for r in app.actions.h.devices(name) if r[1] == name]
                except Exception as e:  # noqa: BLE001 - the wake path then asks by name
                    app.log.warning("could not look up %r before sleeping: %s", name, e)
                    continue
                if len(rows) == 1:
                    ids[name] = rows[0][0]


# ---- start --------------------------------------------------------------------------------------


