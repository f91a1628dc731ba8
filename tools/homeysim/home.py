"""The generated home: capabilities, devices, zones, flows and variables.

Devices keep only their changing state (name, zone, values); the big JSON a
real Homey sends (settings, energy, ui, insights...) is rebuilt from the class
on every read, so a 1000-device home stays cheap to hold and fast to stream.
"""
import datetime
import hashlib
import json

from .tokens import uuid4

# cap -> type, title, setable and the numeric/enum details a Homey reports
CAPS = {
    "onoff": {"type": "boolean", "title": "Turned on", "setable": True, "chartType": "stepLine"},
    "dim": {"type": "number", "title": "Dim level", "setable": True, "min": 0, "max": 1,
            "step": 0.01, "decimals": 2, "units": "%", "chartType": "stepLine"},
    "light_hue": {"type": "number", "title": "Hue", "setable": True, "min": 0, "max": 1,
                  "step": 0.01, "decimals": 2, "units": None},
    "measure_power": {"type": "number", "title": "Power", "setable": False, "units": "W",
                      "decimals": 2, "chartType": "line"},
    "meter_power": {"type": "number", "title": "Energy", "setable": False, "units": "kWh",
                    "decimals": 2, "chartType": "spline"},
    "target_temperature": {"type": "number", "title": "Target temperature", "setable": True,
                           "min": 5, "max": 35, "step": 0.5, "decimals": 2, "units": "°C",
                           "chartType": "stepLine"},
    "measure_temperature": {"type": "number", "title": "Temperature", "setable": False,
                            "units": "°C", "decimals": 2, "chartType": "spline"},
    "measure_humidity": {"type": "number", "title": "Humidity", "setable": False, "units": "%",
                         "decimals": 2, "min": 0, "max": 100, "chartType": "spline"},
    "measure_battery": {"type": "number", "title": "Battery", "setable": False, "units": "%",
                        "decimals": 0, "min": 0, "max": 100, "chartType": "spline"},
    "alarm_motion": {"type": "boolean", "title": "Motion alarm", "setable": False,
                     "chartType": "stepLine"},
    "locked": {"type": "boolean", "title": "Locked", "setable": True, "chartType": "stepLine"},
    "windowcoverings_state": {"type": "enum", "title": "Window coverings state", "setable": True,
                              "options": [{"id": "up", "title": "Up"}, {"id": "idle", "title": "Idle"},
                                          {"id": "down", "title": "Down"}]},
}

DEFAULT_VALUE = {"boolean": False, "number": 0, "enum": "idle", "string": ""}
START_VALUES = {"dim": 0.5, "target_temperature": 20.5, "measure_temperature": 19.8,
                "measure_power": 12.3, "meter_power": 104.56, "measure_humidity": 48,
                "measure_battery": 87, "locked": True}

# class -> (name prefix for generated devices, capabilities, driver)
CLASSES = {
    "light": ("Lamp", ("onoff", "dim"), "bulb"),
    "socket": ("Socket", ("onoff", "measure_power", "meter_power"), "plug"),
    "thermostat": ("Thermostat", ("target_temperature", "measure_temperature"), "radiator-valve"),
    "sensor": ("Sensor", ("alarm_motion", "measure_temperature", "measure_humidity",
                          "measure_battery"), "multisensor"),
    "windowcoverings": ("Blind", ("windowcoverings_state", "dim"), "roller-shutter"),
    "lock": ("Lock", ("locked", "measure_battery"), "door-lock"),
}
GENERATED_CYCLE = ("light", "socket", "light", "sensor", "thermostat", "light",
                   "windowcoverings", "socket", "lock", "light")

DEFAULT_DEVICES = (
    ("Kitchen light", "light", ("onoff", "dim"), 0),
    ("Hallway socket", "socket", ("onoff", "measure_power"), 1),
    ("Café thermostat", "thermostat", ("target_temperature", "measure_temperature"), 2),
)
ZONE_NAMES = ("Kitchen", "Hallway", "Living room", "Bedroom", "Bathroom", "Garden", "Attic")


def iso(ts):
    return datetime.datetime.fromtimestamp(ts, datetime.timezone.utc).strftime(
        "%Y-%m-%dT%H:%M:%S.") + "%03dZ" % (int(ts * 1000) % 1000)


def make_zones(rng):
    root = {"id": uuid4(rng), "name": "Home", "parent": None, "icon": "home", "active": False}
    zones = {root["id"]: root}
    for name in ZONE_NAMES:
        z = {"id": uuid4(rng), "name": name, "parent": root["id"], "icon": "default",
             "active": False}
        zones[z["id"]] = z
    return zones


def make_device(rng, name, cls, caps, zone, n, now):
    return {
        "id": uuid4(rng), "name": name, "class": cls, "caps": list(caps), "zone": zone, "n": n,
        "values": {c: START_VALUES.get(c, DEFAULT_VALUE[CAPS[c]["type"]]) for c in caps},
        "updated": {c: now for c in caps},
    }


def make_devices(rng, count, zone_ids, now):
    """The default three first, then generated ones with unique numbered names."""
    devices = {}
    kitchen, hallway, living = zone_ids[1], zone_ids[2], zone_ids[3]
    zmap = (kitchen, hallway, living)
    for i in range(count):
        if i < len(DEFAULT_DEVICES):
            name, cls, caps, z = DEFAULT_DEVICES[i]
            zone = zmap[z]
        else:
            cls = GENERATED_CYCLE[i % len(GENERATED_CYCLE)]
            prefix, caps, _ = CLASSES[cls]
            name = "%s %04d" % (prefix, i + 1)
            zone = zone_ids[1 + i % (len(zone_ids) - 1)]
        d = make_device(rng, name, cls, caps, zone, i, now)
        devices[d["id"]] = d
    return devices


def _cap_obj(cap, value, updated):
    spec = CAPS[cap]
    o = {"id": cap, "type": spec["type"], "iconObj": None, "title": spec["title"],
         "desc": None, "getable": True, "setable": spec["setable"],
         "chartType": spec.get("chartType"), "value": value, "lastUpdated": iso(updated)}
    if spec["type"] == "number":
        for k in ("units", "decimals", "min", "max", "step"):
            if k in spec:
                o[k] = spec[k]
    if spec["type"] == "enum":
        o["values"] = o["options"] = spec["options"]
    return o


def render_device(d, app="com.athom.sim"):
    """The full device object as an API v3 Homey's devices manager returns it: the zone
    by id only (no `zoneName`; its name is in zones/zone/) and the app as `ownerUri`."""
    cls = d["class"]
    driver = CLASSES.get(cls, ("", (), cls))[2]
    caps = d["caps"]
    n = d["n"]
    uri = "homey:device:" + d["id"]
    settings = {"zw_node_id": str(10 + n), "zw_manufacturer_id": "271", "zw_product_id": "4096",
                "zw_secure": "✓", "report_interval": 300 + n % 7 * 60,
                "led_indicator": "on_when_off"}
    return {
        "id": d["id"], "name": d["name"],
        "ownerUri": "homey:app:" + app, "driverId": "homey:app:%s:%s" % (app, driver),
        "zone": d["zone"],
        "icon": None, "iconOverride": None,
        "iconObj": {"id": hashlib.md5(driver.encode()).hexdigest(),
                    "url": "/icon/%s/%s/icon.svg" % (app, driver)},
        "data": {"id": "node-%d" % (10 + n)},
        "settings": settings, "settingsObj": True,
        "class": cls, "virtualClass": "light" if cls == "socket" and n % 3 == 0 else None,
        "energy": {"approximation": {"usageOn": 7.5, "usageOff": 0.4}} if "onoff" in caps else None,
        "capabilities": list(caps),
        "capabilitiesObj": {c: _cap_obj(c, d["values"][c], d["updated"][c]) for c in caps},
        "capabilitiesOptions": {},
        "flags": ["zwave", "zwaveRoot"] if n % 2 else ["zigbee"],
        "ui": {"quickAction": "onoff" if "onoff" in caps else None,
               "components": [{"id": "toggle" if CAPS[c]["type"] == "boolean" else "sensor",
                               "capabilities": [c]} for c in caps]},
        "uiIndicator": caps[-1] if caps else None,
        "available": True, "unavailableMessage": None, "warningMessage": None,
        "ready": True, "repair": False, "unpair": False,
        "images": [],
        "insights": [{"uri": uri, "id": c, "title": CAPS[c]["title"]} for c in caps],
        "color": "#%06x" % (0x3a7bd5 + n * 7919 & 0xFFFFFF),
        "note": None,
    }


def device_json(d):
    return json.dumps(render_device(d), ensure_ascii=False, separators=(",", ":")).encode()


def make_flows(rng):
    def basic(name):
        return {"id": uuid4(rng), "name": name, "enabled": True, "folder": None,
                "triggerable": True, "broken": False, "type": "flow",
                "trigger": {"id": "homey:manager:flow:programmatic_trigger",
                            "uri": "homey:manager:flow", "args": {}},
                "conditions": [], "actions": [{"id": "homey:manager:logic:variable_set",
                                               "uri": "homey:manager:logic", "args": {}}]}

    def advanced(name):
        return {"id": uuid4(rng), "name": name, "enabled": True, "folder": None,
                "triggerable": True, "broken": False, "type": "advancedflow",
                "cards": {uuid4(rng): {"type": "trigger", "id": "homey:manager:flow:programmatic_trigger",
                                       "x": 80, "y": 40, "outputSuccess": []}}}

    flows = [basic("Good night"), basic("Movie time")]
    adv = [advanced("Morning routine")]
    return {f["id"]: f for f in flows}, {f["id"]: f for f in adv}


def make_variables(rng):
    out = {}
    for name, typ, value in (("Away", "boolean", False), ("Night level", "number", 0.2),
                             ("Mode", "string", "home")):
        v = {"id": uuid4(rng), "name": name, "type": typ, "value": value}
        out[v["id"]] = v
    return out


def check_value(spec, value):
    """-> None when `value` fits the capability, else the reason in words."""
    typ = spec["type"]
    if typ == "boolean":
        if not isinstance(value, bool):
            return "expected a boolean (true/false), got %s" % _typename(value)
    elif typ == "number":
        if isinstance(value, bool) or not isinstance(value, (int, float)) or value != value:
            return "expected a number, got %s" % _typename(value)
        if "min" in spec and value < spec["min"] or "max" in spec and value > spec["max"]:
            return "value %r out of range %s..%s" % (value, spec.get("min"), spec.get("max"))
    elif typ == "enum":
        ids = [o["id"] for o in spec["options"]]
        if value not in ids:
            return "expected one of %s, got %r" % (", ".join(ids), value)
    elif typ == "string" and not isinstance(value, str):
        return "expected a string, got %s" % _typename(value)
    return None


def _typename(v):
    return {bool: "boolean", int: "number", float: "number", str: "string",
            type(None): "null", list: "array", dict: "object"}.get(type(v), type(v).__name__)
