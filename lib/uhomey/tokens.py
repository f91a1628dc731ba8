# Refreshing the Athom access token (the refresh token rotates: grant.keep
# persists the new one before it is used). Imported only when a refresh is due.
from . import log
from .errors import AuthError, HTTPError, why
from .grant import keep, token_request


def refresh(a):
    rt = a.store.get("refresh_token")
    if not rt:
        from .login import login

        return login(a)
    try:
        data = token_request(a, (("grant_type", "refresh_token"), ("refresh_token", rt)),
                             "refreshing the Athom token")
    except HTTPError as e:
        if e.status not in (400, 401) or e.code == "invalid_client":
            raise
        log.warning("the stored refresh token is dead (%s)", e.code or e.status)
        a.store.update(refresh_token=None, access_token=None, access_expires=None)
        if a.athom["email"] and a.athom["password"]:
            from .login import login

            return login(a)
        raise AuthError(why(69), e.status, None, e.code)  # the stored Athom login has expired or was...
    keep(a, data)
    log.info("Athom token refreshed")
