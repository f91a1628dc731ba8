# Drives uhomey's HTTP client through a list of requests (CPython and MicroPython).
from uhomey.errors import HomeyError
from uhomey.http import Http
from uhomey.consent import CookieJar


def sequence(base, steps, timeout=2):
    """steps: [method, path, body or None, how] with how in body|json|stream|close|cookies.
    Returns (outcomes, stats). An error is an outcome, and the next step goes on."""
    h = Http(timeout=timeout)
    out = []
    for method, path, body, how in steps:
        if method == "SLEEP":  # let a server's close reach us, as on an idle connection
            from uhomey.compat import sleep_ms

            sleep_ms(int(path))
            continue
        try:
            r = h.request(method, base + path, body=body, headers=[("X-Test", "1")])
            o = {"status": r.status, "location": r.header("LOCATION"), "ctype": r.header("content-type")}
            if how == "body":
                o["body"] = r.body().decode()
            elif how == "json":
                o["json"] = r.json()
            elif how == "stream":
                parts = []
                mv = memoryview(bytearray(5))
                while True:
                    n = r.readinto(mv)
                    if not n:
                        break
                    parts.append(bytes(mv[:n]))
                o["body"] = b"".join(parts).decode()
                o["pieces"] = len(parts)
            elif how == "cookies":
                jar = CookieJar()
                jar.update(r)
                o["cookies"] = jar.header()
                o["set_cookie"] = [v for k, v in r.headers if k.lower() == "set-cookie"]
                r.close()
            else:
                r.close()
            out.append(o)
        except HomeyError as e:
            out.append({"error": e.__class__.__name__, "msg": str(e)})
    stats = {"connects": h.connects, "requests": h.requests, "retries": h.retries, "open": len(h._conns)}
    h.close()
    return out, stats
