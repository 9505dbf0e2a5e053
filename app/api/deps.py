"""Dependencies shared by the routers: settings and a database session per request."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Request, Security
from fastapi.security import APIKeyHeader, HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.engine import Engine
from sqlmodel import Session

from app.core.config import Settings, get_settings
from app.core.db import get_engine, read_session
from app.core.errors import ProblemError
from app.core.security import Principal, authenticate

SettingsDep = Annotated[Settings, Depends(get_settings)]


def get_db_engine(settings: SettingsDep) -> Engine:
    return get_engine(settings)


EngineDep = Annotated[Engine, Depends(get_db_engine)]


def get_session(engine: EngineDep) -> Iterator[Session]:
    with read_session(engine) as session:
        yield session


SessionDep = Annotated[Session, Depends(get_session)]

_UNAUTHORIZED = {"WWW-Authenticate": 'Bearer realm="defections-api"'}


# Declared as security schemes so the OpenAPI document (and the Authorize button of /docs) shows both ways.
_bearer = HTTPBearer(auto_error=False, description="An API key as a bearer token.")
_header = APIKeyHeader(name="X-API-Key", auto_error=False, description="An API key in the X-API-Key header.")
BearerDep = Annotated[HTTPAuthorizationCredentials | None, Security(_bearer)]
HeaderKeyDep = Annotated[str | None, Security(_header)]


def _presented_key(request: Request) -> str | None:
    authorization = request.headers.get("authorization", "")
    scheme, _, token = authorization.partition(" ")
    if scheme.lower() == "bearer" and token.strip():
        return token.strip()
    return request.headers.get("x-api-key") or None


def require_key(
    request: Request, session: SessionDep, settings: SettingsDep, _bearer_key: BearerDep, _header_key: HeaderKeyDep
) -> Principal:
    """The caller's identity from `Authorization: Bearer <key>` or `X-API-Key`; 401 when missing, unknown or
    revoked."""
    presented = _presented_key(request)
    if presented is None:
        raise ProblemError(
            401,
            "This endpoint needs an API key (Authorization: Bearer <key> or X-API-Key).",
            slug="unauthorized",
            headers=_UNAUTHORIZED,
        )
    bootstrap = settings.api_key.get_secret_value() if settings.api_key else None
    principal = authenticate(session, presented, bootstrap=bootstrap)
    if principal is None:
        raise ProblemError(
            401, "The API key is not valid or has been revoked.", slug="unauthorized", headers=_UNAUTHORIZED
        )
    request.state.principal = principal.name
    # End the read transaction the lookup opened, so writes made later in this request are not hidden from reads
    # through this session by an old SQLite snapshot.
    session.rollback()
    return principal


def reader(
    request: Request, session: SessionDep, settings: SettingsDep, bearer_key: BearerDep, header_key: HeaderKeyDep
) -> Principal | None:
    """Reads are public unless REQUIRE_KEY_FOR_READS is set; a key that is presented must be valid either way."""
    if not settings.require_key_for_reads and _presented_key(request) is None:
        return None
    return require_key(request, session, settings, bearer_key, header_key)


WriterDep = Annotated[Principal, Depends(require_key)]
ReaderDep = Annotated[Principal | None, Depends(reader)]
