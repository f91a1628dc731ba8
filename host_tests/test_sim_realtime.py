"""The simulator's realtime socket (Socket.IO v2 / Engine.IO 3 on a websocket), driven
by a minimal websocket client written here from RFC 6455: upgrade, open packet,
handshakeClient, the /api namespace, subscribe, events, pings and the drop switch."""
import base64
import json
import os
import socket
import ssl
import struct
import time

import pytest

from homeysim import probe
from homeysim.realtime import accept_key, parse_frame, ws_frame

UPGRADE = "/socket.io/?EIO=3&transport=websocket"


class Ws:
    """A websocket client speaking Engine.IO 3 text messages."""

    def __init__(self, sim, which="local", path=UPGRADE, homey=0, headers=None):
        url = sim.url(which, homey=homey)
        host, port = url.split("//")[1].rsplit(":", 1)
        raw = socket.create_connection((host, int(port)), timeout=5)
        if url.startswith("https"):
            ctx = ssl.create_default_context(cafile=sim.ca_pem_path)
            raw = ctx.wrap_socket(raw, server_hostname=host)
        self.sock = raw
        self.key = base64.b64encode(os.urandom(16)).decode()
        hdrs = {"Host": "%s:%s" % (host, port), "Upgrade": "websocket", "Connection": "Upgrade",
                "Sec-WebSocket-Key": self.key, "Sec-WebSocket-Version": "13"}
        hdrs.update(headers or {})
        head = "GET %s HTTP/1.1\r\n" % path + "".join("%s: %s\r\n" % kv for kv in hdrs.items() if kv[1])
        raw.sendall((head + "\r\n").encode())
        self.buf = bytearray()
        while b"\r\n\r\n" not in self.buf:
            self._fill()
        end = self.buf.index(b"\r\n\r\n") + 4
        self.head = bytes(self.buf[:end]).decode("latin-1")
        del self.buf[:end]
        self.status = int(self.head.split(" ")[1])

    def _fill(self):
        data = self.sock.recv(65536)
        if not data:
            raise EOFError("server closed the socket")
        self.buf += data

    def frame(self):
        while True:
            f = parse_frame(self.buf, masked=False)
            if f is not None:
                del self.buf[:f[3]]
                return f
            self._fill()

    def send(self, text, fin=True, opcode=1, mask=b"\x12\x34\x56\x78"):
        self.sock.sendall(ws_frame(opcode, text.encode() if isinstance(text, str) else text, fin, mask))

    def recv(self, timeout=3):
        """The next text message (control frames other than close skipped)."""
        self.sock.settimeout(timeout)
        while True:
            fin, op, payload, _ = self.frame()
            if op == 8:
                raise EOFError("close frame %r" % payload)
            if op == 1:
                return payload.decode()

    def expect(self, prefix, timeout=3):
        """The next message that starts with prefix (pongs and other noise skipped)."""
        deadline = time.monotonic() + timeout
        while True:
            m = self.recv(max(0.05, deadline - time.monotonic()))
            if m.startswith(prefix):
                return m

    def closed_within(self, seconds):
        self.sock.settimeout(seconds)
        try:
            while True:
                fin, op, payload, _ = self.frame()
                if op == 8:
                    return True
        except EOFError:
            return True
        except (socket.timeout, ConnectionResetError):
            return False

    def close(self):
        self.sock.close()


def put_capability(sim, token, dev, cap, value, transaction_id=None):
    body = {"value": value}
    if transaction_id:
        body["transactionId"] = transaction_id
    st, _, answer = probe.call(sim, sim.url("local"), "PUT",
                               "/api/manager/devices/device/%s/capability/%s" % (dev, cap), body=body,
                               token=token)
    assert st == 200, answer
    return json.loads(answer)


def opened(sim, which="local"):
    ws = Ws(sim, which)
    assert ws.status == 101, ws.head
    assert "sec-websocket-accept: %s" % accept_key(ws.key).lower() in ws.head.lower()
    first = ws.recv()
    assert first[0] == "0"
    info = json.loads(first[1:])
    assert info["upgrades"] == [] and info["sid"]
    assert ws.recv() == "40"
    return ws, info


def ready(sim, token, which="local", subscribe=()):
    ws, _ = opened(sim, which)
    ws.send('420["handshakeClient",%s]' % json.dumps({"token": token, "homeyId": sim.homey().id}))
    ack = json.loads(ws.expect("430")[3:])
    assert ack == [None, {"namespace": "/api", "success": True}], ack
    ws.send("40/api,")
    assert ws.expect("40/api") in ("40/api,", "40/api")
    for i, uri in enumerate(subscribe):
        ws.send('42/api,%d["subscribe","%s"]' % (i + 1, uri))
        assert json.loads(ws.expect("43/api,%d" % (i + 1))[len("43/api,%d" % (i + 1)):]) in ([None], [])
    return ws


def event(ws, timeout=3):
    m = ws.expect("42/api,", timeout)
    return json.loads(m[len("42/api,"):])


def test_accept_key_is_rfc_6455s():
    assert accept_key("dGhlIHNhbXBsZSBub25jZQ==") == "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="  # RFC 6455, 1.3


@pytest.fixture
def lamp(sim):
    key = sim.homey().create_api_key()
    return key, sim.homey().device_by_name("Kitchen light")["id"]


@pytest.mark.parametrize("which", ["local", "local_secure"])
def test_open_handshake_subscribe_and_events(sim, lamp, which):
    key, dev = lamp
    uri = "homey:device:" + dev
    ws = ready(sim, key, which, [uri])
    assert sim.realtime.subscribed(uri) == 1

    s = probe.homey_session(sim)
    put_capability(sim, s, dev, "onoff", True, transaction_id="button-1")
    assert event(ws)[:2] == [uri, "capability"]
    # the API write and the simulator switch both tell subscribers, with a transactionId
    sim.homey().set_value(dev, "dim", 0.25)
    ev = event(ws)
    assert ev[2]["capabilityId"] == "dim" and ev[2]["value"] == 0.25
    assert ev[2]["transactionId"] and isinstance(ev[2]["transactionTime"], int)

    sim.homey().rename_device(dev, "Kitchen lamp")
    name, kind, body = event(ws)
    assert kind == "update" and body["id"] == dev and body["name"] == "Kitchen lamp"
    assert body["capabilitiesObj"]["dim"]["value"] == 0.25
    sim.homey().delete_device(dev)
    assert event(ws) == [uri, "delete", {"id": dev}]
    ws.close()


def test_own_write_is_echoed_with_its_transaction_id(sim, lamp):
    key, dev = lamp
    ws = ready(sim, key, subscribe=["homey:device:" + dev])
    s = probe.homey_session(sim)
    answer = put_capability(sim, s, dev, "onoff", True, transaction_id="homey-api-abc")
    assert answer["transactionId"] == "homey-api-abc"
    ev = event(ws)[2]
    assert (ev["capabilityId"], ev["value"], ev["transactionId"]) == ("onoff", True, "homey-api-abc")


def test_unsubscribe_and_other_devices_send_nothing(sim, lamp):
    key, dev = lamp
    other = sim.homey().device_by_name("Hallway socket")["id"]
    ws = ready(sim, key, subscribe=["homey:device:" + dev])
    sim.homey().set_value(other, "onoff", True)
    ws.send('42/api,["unsubscribe","homey:device:%s"]' % dev)
    ws.send("2")
    assert ws.expect("3") == "3"   # the unsubscribe was handled before this pong
    sim.homey().set_value(dev, "onoff", True)
    ws.send("2probe")
    assert ws.expect("3") == "3probe"  # and no event came before it
    assert sim.realtime.subscribed("homey:device:" + dev) == 0


def test_bad_or_expired_token_acks_401_and_namespace_stays_shut(sim, lamp):
    _, dev = lamp
    s = probe.homey_session(sim)
    for token in ("not-a-token", s):
        if token == s:
            sim.expire_homey_sessions()
        ws, _ = opened(sim)
        ws.send('420["handshakeClient",%s]' % json.dumps({"token": token, "homeyId": sim.homey().id}))
        err = json.loads(ws.expect("430")[3:])[0]
        assert err["code"] == 401 and err["error_description"]
        ws.send("40/api,")
        assert ws.expect("44/api").startswith('44/api,"Unauthorized')
        ws.close()


def test_wrong_homey_and_unknown_uri_are_errors(sim, lamp):
    key, _ = lamp
    ws, _ = opened(sim)
    ws.send('421["handshakeClient",{"token":"%s","homeyId":"elsewhere"}]' % key)
    assert json.loads(ws.expect("431")[3:])[0]["code"] == 400
    ws = ready(sim, key)
    ws.send('42/api,7["subscribe","homey:device:nope"]')
    assert json.loads(ws.expect("43/api,7")[8:])[0]["code"] == 404


def test_pings_answered_and_silent_client_dropped(sim, lamp):
    sim.realtime.ping_interval, sim.realtime.ping_timeout = 200, 200
    ws, info = opened(sim)
    assert (info["pingInterval"], info["pingTimeout"]) == (200, 200)
    for _ in range(4):  # pinging on time keeps it open past interval + timeout
        time.sleep(0.15)
        ws.send("2")
        assert ws.expect("3") == "3"
    t = time.monotonic()
    assert ws.closed_within(2)
    assert 0.25 < time.monotonic() - t < 3.0   # closed after interval + timeout (0.4 s), not at once


def test_fragments_and_control_frames(sim, lamp):
    key, dev = lamp
    ws, _ = opened(sim)
    body = '420["handshakeClient",%s]' % json.dumps({"token": key, "homeyId": sim.homey().id})
    ws.send(body[:5], fin=False)
    ws.send(b"hi", opcode=9)             # a ping between fragments gets its pong
    ws.send(body[5:12], fin=False, opcode=0)
    ws.send(body[12:], opcode=0)
    fin, op, payload, _ = ws.frame()
    assert (op, payload) == (10, b"hi")
    assert ws.expect("430").startswith("430[null")


def test_unmasked_client_frame_is_a_protocol_error(sim):
    ws, _ = opened(sim)
    ws.send("2", mask=None)
    fin, op, payload, _ = ws.frame()
    assert op == 8 and struct.unpack(">H", payload[:2])[0] == 1002


def test_plain_get_and_bad_upgrades(sim):
    ws = Ws(sim, path="/socket.io/?EIO=4&transport=websocket")
    assert ws.status == 400
    ws = Ws(sim, headers={"Sec-WebSocket-Version": "8"})
    assert ws.status == 400
    sim.impostor(0, "local")
    assert Ws(sim).status == 400


def test_drop_switch_closes_and_silent_drop_goes_quiet(sim, lamp):
    key, dev = lamp
    uri = "homey:device:" + dev
    ws = ready(sim, key, subscribe=[uri])
    assert sim.realtime.drop() == 1
    assert ws.closed_within(2)
    before = sim.realtime.sockets
    ws = ready(sim, key, subscribe=[uri])
    assert sim.realtime.sockets == before + 1
    assert sim.realtime.drop(silent=True) == 1
    assert sim.realtime.subscribed(uri) == 0
    ws.send("2")
    sim.homey().set_value(dev, "onoff", True)
    with pytest.raises(socket.timeout):
        ws.recv(timeout=0.5)


def test_stop_closes_realtime_sockets(make_sim):
    s = make_sim()
    ws, _ = opened(s)
    t = time.monotonic()
    s.stop()
    assert time.monotonic() - t < 2.5
    assert ws.closed_within(1)
