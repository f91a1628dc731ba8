# Which Homey to approve: the login JWT names the one last used (payload
# `homey`, `homeyId` or `homeys`); config homey.id wins over it.
from .errors import AuthError
from .form import b64url_decode


def jwt_homey(token):
    """The Homey id a login JWT names (payload `homey`, `homeyId` or `homeys`), or None."""
    import json

    parts = token.split(".")
    if len(parts) != 3:
        return None
    try:
        payload = b64url_decode(parts[1])
        payload = json.loads(payload)
    except (ValueError, TypeError):
        return None
    if not isinstance(payload, dict):
        return None
    for key in ("homey", "homeyId", "homeys"):
        v = payload.get(key)
        if isinstance(v, list):
            v = v[0] if v else None
        if isinstance(v, dict):
            v = v.get("id") or v.get("_id")
        if isinstance(v, str) and v:
            return v
    return None


def choose_homey(offered, wanted, jwt_id):
    """The Homey to approve: config homey.id, else the JWT's if offered, else the only one."""
    ids = [r[len("resource.homey."):] for r in offered]
    if wanted:
        if wanted in ids:
            return wanted
        raise AuthError.of("homey_id_not_offered", wanted, ", ".join(ids) or "none")
    if jwt_id and jwt_id in ids:
        return jwt_id
    if len(ids) == 1:
        return ids[0]
    if not ids:
        raise AuthError.of("consent_offers_no_homey")
    raise AuthError.of("several_homeys", ", ".join(ids))
