"""The source articles and the incidents each one reports."""

from __future__ import annotations

from typing import Annotated, Any

import anyio
import sqlalchemy as sa
from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.responses import Response
from sqlalchemy.engine import Engine

from app.api import query
from app.api.deps import EngineDep, SessionDep, SettingsDep, WriterDep
from app.api.filters import ARTICLE, INCIDENT, REPORT
from app.api.records import BASE_FIELDS, REPORT_COLUMNS, dumps, evidence_spans, incident_record, report_record, shape
from app.api.routes.incidents import CountParam, CursorParam
from app.core.config import Settings
from app.core.errors import ProblemError, bad_parameter, problem_responses
from app.ingestion.service import Submission, SubmissionError, submit
from app.ingestion.store import Ingestor
from app.schemas.article import ArticleDetail, ArticleList
from app.schemas.incident import EXAMPLE_RECORD
from app.schemas.vocabulary import MAX_ID, MIN_ID, IsoDate
from app.schemas.write import ArticleCreate, ArticleIngested

router = APIRouter(prefix="/articles", tags=["articles"], dependencies=[Depends(query.reject_unknown_query_params)])

SORTABLE: tuple[tuple[str, query.KeyKind, bool], ...] = (
    ("published", "date", True),
    ("ingested_at", "datetime", False),
    ("id", "int", False),
)
SORT_KEYS: dict[str, query.SortKey] = {
    name: query.SortKey(name, ARTICLE.c[name], kind, nullable) for name, kind, nullable in SORTABLE
}
DEFAULT_SORT = "-published"
LIST_COLUMNS = (
    ARTICLE.c.id,
    ARTICLE.c.external_id,
    ARTICLE.c.url,
    ARTICLE.c.title,
    ARTICLE.c.source,
    ARTICLE.c.published,
    ARTICLE.c.ingested_at,
    ARTICLE.c.updated_at,
)


def _article(row: Any, incident_count: int) -> dict[str, Any]:
    return {
        "id": row["id"],
        "external_id": row["external_id"],
        "url": row["url"],
        "title": row["title"],
        "source": row["source"],
        "published": row["published"],
        "ingested_at": query.utc(row["ingested_at"]),
        "updated_at": query.utc(row["updated_at"]),
        "incident_count": incident_count,
    }


EXAMPLE_ARTICLE = {
    "id": 3,
    "external_id": "s018",
    "url": "https://example.org/hyesan-guards",
    "title": "Six armed border guards flee across the Yalu",
    "source": "Border Desk",
    "published": "2021-03-25",
    "ingested_at": "2026-11-25T08:00:00+00:00",
    "updated_at": "2026-11-25T08:00:00+00:00",
    "incident_count": 1,
}
EXAMPLE_DETAIL = {
    **EXAMPLE_ARTICLE,
    "text": "SEOUL — Six North Korean border guards slipped across the Yalu River ...",
    "extractor_version": "1.0",
    "incidents": [
        {
            **EXAMPLE_RECORD,
            "evidence": [{"field": "group_size", "text": "Six", "start": 8, "end": 11, "article_id": 3}],
            "reports": [],
        }
    ],
}


@router.get(
    "",
    response_model=ArticleList,
    summary="List articles",
    responses=query.documented(
        {
            "description": "A page of articles.",
            "content": {"application/json": {"example": {"data": [EXAMPLE_ARTICLE], "next": None, "total": 38}}},
        },
        400,
        422,
    ),
)
def list_articles(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    source: Annotated[
        str | None,
        Query(description="Publisher (case-insensitive exact name).", examples=["Daily NK"], max_length=300),
    ] = None,
    published_from: Annotated[
        IsoDate | None, Query(description="Published on or after this day (ISO date).", examples=["2021-01-01"])
    ] = None,
    published_to: Annotated[
        IsoDate | None, Query(description="Published on or before this day (ISO date).", examples=["2021-12-31"])
    ] = None,
    q: Annotated[
        str | None,
        Query(
            description="Full-text search over title and text: every word must appear (stemmed, case-insensitive).",
            examples=["Yalu soldiers"],
            max_length=500,
        ),
    ] = None,
    has_incidents: Annotated[
        bool | None,
        Query(
            description="true: only articles that report incidents; false: only those that report none.",
            examples=[True],
        ),
    ] = None,
    sort: Annotated[
        str | None,
        Query(
            description="Comma-separated sort keys, `-` for descending: published, ingested_at, id. Nulls sort "
            "last; `id` breaks ties. Default `-published`.",
            examples=["-published"],
        ),
    ] = None,
    limit: Annotated[
        int, Query(ge=1, le=query.MAX_LIMIT, description="Page size, 1..1000.", examples=[50])
    ] = query.DEFAULT_LIMIT,
    cursor: CursorParam = None,
    count: CountParam = False,
) -> Response:
    """Filter, sort and page the ingested articles (keyset cursors)."""
    if published_from is not None and published_to is not None and published_from > published_to:
        raise bad_parameter("published_to", "must not be before published_from")
    words = query.search_words("q", q)
    terms = query.parse_sort(sort, SORT_KEYS, default=DEFAULT_SORT)
    codec = query.CursorCodec(settings, "articles")
    start = codec.decode(cursor, terms) if cursor else None

    conn = session.connection()
    a = ARTICLE.c
    conditions: list[Any] = []
    if source is not None and source.strip():
        conditions.append(sa.func.lower(a.source) == source.strip().lower())
    if published_from is not None:
        conditions.append(a.published >= published_from)
    if published_to is not None:
        conditions.append(a.published <= published_to)
    if words is not None:
        conditions.append(query.article_text_match(a.id, a.title, a.text, words, conn.dialect.name))
    if has_incidents is not None:
        reported = sa.exists().where(REPORT.c.article_id == a.id)
        conditions.append(reported if has_incidents else ~reported)

    headers: dict[str, str] = {}
    total = None
    if count:
        total = conn.execute(sa.select(sa.func.count()).select_from(ARTICLE).where(*conditions)).scalar_one()
        headers["X-Total-Count"] = str(total)
    stmt = sa.select(*LIST_COLUMNS).where(*conditions)
    if start is not None:
        stmt = stmt.where(query.after(terms, start))
    rows = conn.execute(stmt.order_by(*query.order_by(terms)).limit(limit + 1)).mappings().all()
    more = len(rows) > limit
    rows = rows[:limit]
    ids = [row["id"] for row in rows]
    counts: dict[int, int] = {}
    if ids:
        counted = (
            sa.select(REPORT.c.article_id, sa.func.count(sa.distinct(REPORT.c.incident_id)))
            .where(REPORT.c.article_id.in_(ids))
            .group_by(REPORT.c.article_id)
        )
        counts = {article_id: n for article_id, n in conn.execute(counted)}
    next_link = None
    if more:
        next_link = query.next_url(request, codec.encode(terms, query.row_sort_values(terms, rows[-1])))
        headers |= query.link_header(next_link)
    body: dict[str, Any] = {"data": [_article(row, counts.get(row["id"], 0)) for row in rows], "next": next_link}
    if total is not None:
        body["total"] = total
    return Response(dumps(body), media_type="application/json", headers=headers)


def article_body(conn: sa.Connection, article_id: int) -> dict[str, Any] | None:
    """The public detail of one article (text, metadata, incidents with this article's evidence), or None."""
    row = conn.execute(sa.select(ARTICLE).where(ARTICLE.c.id == article_id)).mappings().first()
    if row is None:
        return None
    stmt = (
        sa.select(INCIDENT, *REPORT_COLUMNS)
        .join(REPORT, REPORT.c.incident_id == INCIDENT.c.id)
        .join(ARTICLE, ARTICLE.c.id == REPORT.c.article_id)
        .where(REPORT.c.article_id == article_id)
        .order_by(REPORT.c.ordinal)
    )
    incidents: dict[int, dict[str, Any]] = {}
    for report in conn.execute(stmt).mappings():
        entry = incidents.get(report["id"])
        if entry is None:
            entry = incidents[report["id"]] = {**incident_record(report), "evidence": [], "reports": []}
        spans = evidence_spans(report["evidence"], article_id)
        entry["evidence"].extend(span for span in spans if span["article_id"] == article_id)
        entry["reports"].append(report_record(report))
    fields = [*BASE_FIELDS, "evidence", "reports"]
    return {
        **_article(row, len(incidents)),
        "text": row["text"],
        "extractor_version": row["extractor_version"],
        "incidents": [shape(entry, None, fields) for entry in incidents.values()],
    }


@router.post(
    "",
    status_code=201,
    response_model=ArticleIngested,
    summary="Ingest an article",
    responses={
        200: {
            "model": ArticleIngested,
            "description": "The same text was already stored (status unchanged), or a "
            "changed text at a known URL replaced it (status updated).",
        },
        **problem_responses(400, 401, 413, 422, 429),
    },
)
async def create_article(
    payload: ArticleCreate, principal: WriterDep, engine: EngineDep, settings: SettingsDep
) -> Response:
    """Ingest one article (text, HTML, or a URL to fetch) and return it with the incidents it created or joined."""
    return await anyio.to_thread.run_sync(_create_article, payload, engine, settings, limiter=INGEST_THREADS)


# Ingestions of one process run at most this many at a time: extraction is CPU-bound under the GIL and the writes
# queue for one database lock, so more threads only add contention (under a burst of writes they starved the
# thread that answers the uvicorn supervisor's health check, which then killed the worker).
INGEST_THREADS = anyio.CapacityLimiter(2)


def _create_article(payload: ArticleCreate, engine: Engine, settings: Settings) -> Response:
    sub = Submission(**payload.model_dump())
    try:
        outcome = submit(engine, settings, sub)
    except SubmissionError as exc:
        raise bad_parameter(exc.field or "body", str(exc), location="body") from None
    assert outcome.article_id is not None
    with engine.connect() as conn:  # a fresh snapshot that sees the write just made
        body = article_body(conn, outcome.article_id)
    assert body is not None
    body.update(
        status=outcome.status,
        new_incidents=list(outcome.new_incidents),
        merged_incidents=list(outcome.merged_incidents),
    )
    status = 201 if outcome.status == "new" else 200
    return Response(
        dumps(body),
        status_code=status,
        media_type="application/json",
        headers={"Location": f"/articles/{outcome.article_id}"},
    )


@router.delete(
    "/{article_id}", status_code=204, summary="Delete an article", responses=problem_responses(401, 404, 422)
)
def delete_article(
    principal: WriterDep,
    engine: EngineDep,
    settings: SettingsDep,
    article_id: Annotated[int, Path(ge=MIN_ID, le=MAX_ID, description="Id of the article.", examples=[3])],
) -> Response:
    """Delete an article and its reports; incidents left without reports go, the others are recomputed."""
    if not Ingestor(engine, max_chars=settings.max_article_chars).delete_article(article_id):
        raise ProblemError(404, f"No article with id {article_id}.", slug="not-found")
    return Response(status_code=204)


@router.get(
    "/{article_id}",
    response_model=ArticleDetail,
    summary="Get one article",
    responses=query.documented(
        {
            "description": "The article, its text, and its incidents.",
            "content": {"application/json": {"example": EXAMPLE_DETAIL}},
        },
        404,
        422,
    ),
)
def get_article(
    session: SessionDep,
    article_id: Annotated[int, Path(ge=MIN_ID, le=MAX_ID, description="Id of the article.", examples=[3])],
) -> Response:
    """Return an article's text and metadata, and its incidents with the evidence spans pointing into its text."""
    body = article_body(session.connection(), article_id)
    if body is None:
        raise ProblemError(404, f"No article with id {article_id}.", slug="not-found")
    return Response(dumps(body), media_type="application/json")
