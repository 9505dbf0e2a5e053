"""One error shape for the whole API: RFC 9457 `application/problem+json`.

Every error response, whether raised by a route, by request validation, by routing (404/405) or by an unexpected
exception, is `{type, title, status, detail, instance, errors?}`. Nothing about the server's internals (stack traces,
SQL, file paths) ever reaches a client.
"""

from __future__ import annotations

import logging
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from sqlalchemy.exc import DBAPIError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match

logger = logging.getLogger("app.errors")

PROBLEM_MEDIA_TYPE = "application/problem+json"
PROBLEM_TYPE_BASE = "https://defections-api.readthedocs.io/problems/"


class FieldError(BaseModel):
    """One invalid input: where it was and what was wrong with it."""

    location: str = Field(examples=["query"], description="query, path, header or body")
    name: str = Field(examples=["date_from"], description="the parameter or body field (dotted for nested fields)")
    message: str = Field(examples=["Input should be a valid date"])


class Problem(BaseModel):
    """An RFC 9457 problem details object; the body of every error response."""

    type: str = Field(examples=[PROBLEM_TYPE_BASE + "validation-error"], description="URI naming the kind of problem")
    title: str = Field(examples=["Invalid request"], description="short summary of the kind of problem")
    status: int = Field(examples=[422], description="the HTTP status code")
    detail: str = Field(examples=["date_from: Input should be a valid date"], description="what went wrong here")
    instance: str = Field(examples=["/incidents"], description="the path of the request that failed")
    errors: list[FieldError] | None = Field(default=None, description="one entry per invalid input, when known")


class ProblemError(Exception):
    """Raise from anywhere in a request to answer with a problem+json body."""

    def __init__(
        self,
        status: int,
        detail: str,
        *,
        slug: str | None = None,
        title: str | None = None,
        errors: list[FieldError] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail
        self.slug = slug
        self.title = title
        self.errors = errors
        self.headers = headers


class BodyTooLarge(StarletteHTTPException):
    """Raised while a request body is read, once it passes the configured cap. An HTTPException, because FastAPI
    passes those through its body parsing untouched (any other error there becomes a 400)."""

    def __init__(self, limit: int) -> None:
        super().__init__(413, f"The request body is over the {limit}-byte limit.")
        self.limit = limit

    def __str__(self) -> str:
        return str(self.detail)


def bad_parameter(name: str, message: str, *, location: str = "query", status: int = 422) -> ProblemError:
    """A ProblemError naming the one parameter that was wrong."""
    return ProblemError(
        status,
        f"{name}: {message}",
        slug="validation-error",
        title="Invalid request",
        errors=[FieldError(location=location, name=name, message=message)],
    )


def problem_response(
    request: Request,
    status: int,
    detail: str,
    *,
    slug: str | None = None,
    title: str | None = None,
    errors: list[FieldError] | None = None,
    headers: dict[str, str] | None = None,
) -> JSONResponse:
    phrase = _phrase(status)
    body = Problem(
        type=PROBLEM_TYPE_BASE + (slug or phrase.lower().replace(" ", "-").replace("'", "")),
        title=title or phrase,
        status=status,
        detail=detail,
        instance=request.url.path,
        errors=errors,
    )
    return JSONResponse(
        body.model_dump(exclude_none=True), status_code=status, headers=headers, media_type=PROBLEM_MEDIA_TYPE
    )


def _phrase(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Error"


def _validation_errors(exc: RequestValidationError) -> list[FieldError]:
    out = []
    for err in exc.errors():
        loc = [str(part) for part in err.get("loc", ())]
        location = loc[0] if loc else "request"
        name = ".".join(loc[1:]) or location
        out.append(FieldError(location=location, name=name, message=str(err.get("msg", "invalid value"))))
    return out


async def _on_problem(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, ProblemError)
    return problem_response(
        request, exc.status, exc.detail, slug=exc.slug, title=exc.title, errors=exc.errors, headers=exc.headers
    )


async def _on_http_exception(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    status = exc.status_code
    if status == 404 and exc.detail == "Not Found":
        detail = f"No resource at {request.url.path}."
    elif status == 405:
        detail = f"{request.method} is not allowed on {request.url.path}."
        headers = {"Allow": ", ".join(_allowed_methods(request))}
        return problem_response(request, status, detail, headers=headers)
    else:
        detail = str(exc.detail)
    return problem_response(request, status, detail, headers=getattr(exc, "headers", None))


def _allowed_methods(request: Request) -> list[str]:
    """Every method some route serves at this path (Starlette's own 405 names only the first route's)."""
    methods: set[str] = set()
    for route in request.app.routes:
        match, _ = route.matches({**request.scope, "method": "GET"})
        if match != Match.NONE and getattr(route, "methods", None):
            methods |= set(route.methods)
    return sorted(methods)


async def _on_validation_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    errors = _validation_errors(exc)
    detail = "; ".join(f"{e.name}: {e.message}" for e in errors) or "The request is not valid."
    return problem_response(request, 422, detail, slug="validation-error", title="Invalid request", errors=errors)


def _is_statement_timeout(exc: BaseException) -> bool:
    """SQLite interrupted by the query budget's progress handler, or PostgreSQL's statement_timeout."""
    original = getattr(exc, "orig", None)
    if original is None:
        return False
    name = type(original).__name__
    return name == "QueryCanceled" or (name == "OperationalError" and "interrupted" in str(original))


async def _on_database_error(request: Request, exc: Exception) -> JSONResponse:
    if _is_statement_timeout(exc):
        return problem_response(
            request,
            503,
            "The query took longer than this service allows (QUERY_TIMEOUT_MS); narrow the filters or page through "
            "the results.",
            slug="query-timeout",
            headers={"Retry-After": "5"},
        )
    return await _on_unexpected(request, exc)


async def _on_unexpected(request: Request, exc: Exception) -> JSONResponse:
    logger.exception("unhandled error on %s %s", request.method, request.url.path)
    return problem_response(request, 500, "The server failed to answer this request; the error has been logged.")


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(ProblemError, _on_problem)
    app.add_exception_handler(StarletteHTTPException, _on_http_exception)
    app.add_exception_handler(RequestValidationError, _on_validation_error)
    app.add_exception_handler(DBAPIError, _on_database_error)
    app.add_exception_handler(Exception, _on_unexpected)


def problem_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI `responses=` entries documenting the problem+json errors a route can return."""
    return {
        status: {"model": Problem, "description": _phrase(status), "content": {PROBLEM_MEDIA_TYPE: {}}}
        for status in statuses
    }
