# Refreshing the Athom access token (the refresh token rotates: grant.keep
# persists the new one before it is used). Imported only when a refresh is due.
from . import log
from .errors import AuthError, HTTPError, why
from .grant import keep, token_request


def refresh(a):
    """A new access token from the refresh token; without a usable one, a password login."""
    rt = a.store.get("refresh_token")
    if rt:
        try:
            data = token_request(a, (("grant_type", "refresh_token"), ("refresh_token", rt)),
                                 "refreshing the Athom token")
        except HTTPError as e:
            if e.status not in (400, 401) or e.code == "invalid_client":
                raise
            log.warning("the stored refresh token is dead (%s)", e.code or e.status)
            a.store.update(refresh_token=None, access_token=None, access_expires=None)
            if not (a.athom["email"] and a.athom["password"]):
                raise AuthError(why(69), e.status, None, e.code)  # the stored Athom login has expired...
        else:
            keep(a, data)
            log.info("Athom token refreshed")
            return
    from .login import login

    return login(a)
