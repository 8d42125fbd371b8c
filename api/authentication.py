"""Who is calling: an API token (``Authorization: Token <key>``) or, for the browsable API and the
docs, the signed-in session.

A token is found by its prefix and proved by its hash. Its principal is what every access check
receives (``request.user``): the user it acts for, narrowed to the token's scope and team
(``riskboard.permissions.TokenLimits``), or a ``TokenClient`` for a read token with no user.
"""

from __future__ import annotations

import logging

from rest_framework import authentication, exceptions

from .models import ApiToken
from .services import api_token_record_use

# Query parameters a client might put a token in. Refused: URLs end up in logs and browser histories.
TOKEN_QUERY_PARAMETERS = frozenset({"token", "key", "api_key", "apikey", "api-key", "access_token", "auth"})
KEYWORD = "Token"
# Token use and refused tokens are security events (never the key: its prefix names it).
security_log = logging.getLogger("riskboard.security")


class TokenClient:
    """The principal of a read token that acts for no user: it may only VIEW (within its team)."""

    is_authenticated = True
    is_anonymous = False
    is_active = True
    is_staff = False
    is_superuser = False
    pk = None
    id = None
    _riskboard_primary_role = ""  # no role of its own: navigation shows none

    def __init__(self, token: ApiToken):
        self.api_token = token
        self.token_limits = token.limits
        self.username = f"token:{token.prefix}"

    def get_username(self) -> str:
        return self.username

    def __str__(self) -> str:
        return f"API client {self.api_token.name}"


class ApiTokenAuthentication(authentication.BaseAuthentication):
    """``Authorization: Token <prefix>.<secret>``. Any failure is a 401 that says what to do."""

    def authenticate(self, request):
        named = TOKEN_QUERY_PARAMETERS & {name.lower() for name in request.query_params}
        if named:
            raise exceptions.AuthenticationFailed(
                f"Send the token in the Authorization header (Authorization: {KEYWORD} <key>), never in the URL "
                f"(found ?{sorted(named)[0]}=): URLs are logged. Revoke that token and create a new one."
            )
        parts = authentication.get_authorization_header(request).split()
        if not parts or parts[0].lower() != KEYWORD.lower().encode():
            return None
        if len(parts) != 2:
            raise exceptions.AuthenticationFailed(f"Send the header as 'Authorization: {KEYWORD} <key>'.")
        try:
            key = parts[1].decode("ascii")
        except UnicodeDecodeError:
            raise exceptions.AuthenticationFailed("Invalid token.") from None
        return self.authenticate_key(key)

    def authenticate_key(self, key: str):
        prefix, dot, _ = key.partition(".")
        token = ApiToken.objects.select_related("user").filter(prefix=prefix).first() if dot and prefix else None
        if token is None or not token.is_valid(key):
            security_log.warning("API token refused: invalid", extra={"event": "token_refused", "reason": "invalid",
                                                                     "token_prefix": prefix[:16] or None})
            raise exceptions.AuthenticationFailed("Invalid token.")
        if token.revoked or token.has_expired or (token.user is not None and not token.user.is_active):
            security_log.warning("API token refused: %s", token.prefix,
                                 extra={"event": "token_refused", "token_prefix": token.prefix, "token_id": token.pk,
                                        "reason": "revoked" if token.revoked else "expired" if token.has_expired
                                        else "inactive user"})
        # Told only to whoever holds the key itself.
        if token.revoked:
            raise exceptions.AuthenticationFailed("This token has been revoked. Ask an administrator for a new one.")
        if token.has_expired:
            raise exceptions.AuthenticationFailed(
                f"This token expired on {token.expiry_date:%Y-%m-%d %H:%M} UTC. Ask an administrator for a new one."
            )
        if token.user is not None and not token.user.is_active:
            raise exceptions.AuthenticationFailed("The user this token acts for is no longer active.")
        api_token_record_use(token=token)
        security_log.info("API token used: %s", token.prefix,
                          extra={"event": "token_use", "token_prefix": token.prefix, "token_id": token.pk,
                                 "user_id": token.user_id})
        if token.user is None:
            return TokenClient(token), token
        principal = token.user  # loaded for this request alone: the limits below never leak
        principal.api_token = token
        principal.token_limits = token.limits
        return principal, token

    def authenticate_header(self, request) -> str:
        return f'{KEYWORD} realm="api"'
