"""Who may write: a server started with --allow-writes and a request carrying its token.

The API takes the token only as `Authorization: Bearer <token>`. The pages' forms take it in a field, and a
successful form write keeps it in a cookie (HttpOnly, SameSite=Strict: another site's page cannot send it along), so
one needs to type it once per browser session. Tokens are compared in constant time.
"""
from __future__ import annotations

import hmac

from starlette.requests import Request

from obsql.serve.config import ServeConfig
from obsql.serve.failures import Refused

COOKIE = "obsql_token"


def bearer(request: Request) -> str | None:
    """The token of an `Authorization: Bearer` header, if there is one."""
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    return token.strip() if scheme.lower() == "bearer" and token.strip() else None


def check_writes_on(config: ServeConfig) -> None:
    """Refuse (403) any write to a server started without --allow-writes, whatever the request carries."""
    if not config.allow_writes:
        raise Refused(403, "this server is read-only: writes are off",
                      suggestion="start it with obsql serve --allow-writes --token-file FILE")


def check_write(config: ServeConfig, given: str | None) -> None:
    """Refuse a write: 403 when the server does not take writes, 401 when the token is missing or wrong."""
    check_writes_on(config)
    if given is None:
        raise Refused(401, "a write needs the server's token",
                      suggestion="send the header Authorization: Bearer <token>")
    if config.token is None or not hmac.compare_digest(given.encode(), config.token.encode()):
        raise Refused(401, "the token is wrong", suggestion="send the token the server was started with")


def check_api_write(config: ServeConfig, request: Request) -> None:
    check_write(config, bearer(request))


def form_token(request: Request, fields: dict[str, str]) -> str | None:
    """The token a form sent: its field, else the cookie an earlier form write set."""
    return fields.get("token") or request.cookies.get(COOKIE) or None
