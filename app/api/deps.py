"""Dependencies shared by the routers: settings and a database session per request."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import Depends, Request, Security
from fastapi.security import APIKeyHeader, HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.engine import Connection, Engine
from sqlmodel import Session
from starlette.concurrency import run_in_threadpool

from app.core.config import Settings, get_settings
from app.core.db import QUERY_TIMEOUT_MS, get_engine, read_session
from app.core.errors import ProblemError
from app.core.security import Principal, authenticate

# The dependencies of the read paths do no I/O of their own, so they are `async def`: FastAPI runs each plain `def`
# dependency in the thread pool, and those hops (several per request) cost more than the work they wrap.


async def current_settings(request: Request) -> Settings:
    """The settings: `get_settings()`, or what replaces it in `app.dependency_overrides` (as the tests do)."""
    override = request.app.dependency_overrides.get(get_settings)
    settings = override() if override is not None else get_settings()
    assert isinstance(settings, Settings)
    return settings


SettingsDep = Annotated[Settings, Depends(current_settings)]


async def get_db_engine(settings: SettingsDep) -> Engine:
    """The engine for this request, with the per-statement time budget of API requests."""
    return get_engine(settings).execution_options(**{QUERY_TIMEOUT_MS: settings.query_timeout_ms})


EngineDep = Annotated[Engine, Depends(get_db_engine)]


async def get_session(engine: EngineDep) -> AsyncIterator[Session]:
    # Making a session opens no connection (its first query does); closing it hands the connection back.
    session = read_session(engine)
    try:
        yield session
    finally:
        session.close()


SessionDep = Annotated[Session, Depends(get_session)]


async def get_connection(engine: EngineDep) -> AsyncIterator[Connection]:
    """A plain connection for the hot read paths (lighter than an ORM session); its read transaction ends, and the
    connection goes back to the pool, when the request is done."""
    conn = engine.connect()
    try:
        yield conn
    finally:
        conn.close()


ConnectionDep = Annotated[Connection, Depends(get_connection)]

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


async def reader(request: Request, settings: SettingsDep, engine: EngineDep) -> Principal | None:
    """Reads are public unless REQUIRE_KEY_FOR_READS is set; a key that is presented must be valid either way.
    (No security scheme is declared here: the OpenAPI document shows reads as public, which is the default.)
    An anonymous read opens no session here: only a presented key is looked up."""
    if not settings.require_key_for_reads and _presented_key(request) is None:
        return None

    def check() -> Principal:
        with read_session(engine) as session:
            return require_key(request, session, settings, None, None)

    return await run_in_threadpool(check)


WriterDep = Annotated[Principal, Depends(require_key)]
ReaderDep = Annotated[Principal | None, Depends(reader)]
