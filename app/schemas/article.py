"""Public shapes of a source article."""

from __future__ import annotations

from datetime import date, datetime

from pydantic import BaseModel, Field

from app.schemas.incident import IncidentPublic


class ArticlePublic(BaseModel):
    """An article as listed by /articles (without its text)."""

    id: int = Field(description="Id of the article.", examples=[3])
    external_id: str | None = Field(description="The id the article arrived with.", examples=["s018"])
    url: str | None = Field(description="Where it was published.", examples=["https://example.org/hyesan-guards"])
    title: str | None = Field(description="Headline.", examples=["Six armed border guards flee across the Yalu"])
    source: str | None = Field(description="Publisher.", examples=["Border Desk"])
    published: date | None = Field(description="Publication date.", examples=["2021-03-25"])
    ingested_at: datetime = Field(description="When the article was ingested.", examples=["2026-11-25T08:00:00Z"])
    updated_at: datetime = Field(description="When the article last changed.", examples=["2026-11-25T08:00:00Z"])
    incident_count: int = Field(description="How many incidents were extracted from the article.", examples=[1])


class ArticleList(BaseModel):
    """One page of articles."""

    data: list[ArticlePublic] = Field(description="The articles of this page, in the requested order.")
    next: str | None = Field(
        description="URL of the next page, or null on the last page.",
        examples=["http://127.0.0.1:8000/articles?source=Border%20Desk&cursor=eyJ2IjpbMTJdfQ.x"],
    )
    total: int | None = Field(
        default=None, description="Number of matching articles (only with `count=true`).", examples=[38]
    )


class ArticleDetail(ArticlePublic):
    """An article with its text and the incidents extracted from it."""

    text: str = Field(description="The article's main text; evidence offsets point into it.", examples=["SEOUL — ..."])
    extractor_version: str = Field(description="Version of the extractor that last read it.", examples=["1.0"])
    incidents: list[IncidentPublic] = Field(
        description=(
            "The incidents the article reports, each with `evidence` (only the spans pointing into this article) "
            "and `reports` (this article's own values)."
        )
    )
