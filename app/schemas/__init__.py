"""Public response schemas, one family per resource, kept apart from the table models in `app.models`."""

from app.schemas.article import ArticleDetail, ArticleList, ArticlePublic
from app.schemas.incident import (
    EvidencePublic,
    GeoJSONFeatureCollection,
    IncidentDetail,
    IncidentList,
    IncidentPublic,
    LocationPublic,
    ReportPublic,
    SourcePublic,
)
from app.schemas.place import PlaceList, PlacePublic
from app.schemas.stats import StatsResponse, StatsRow, StatsTotal

__all__ = [
    "ArticleDetail",
    "ArticleList",
    "ArticlePublic",
    "EvidencePublic",
    "GeoJSONFeatureCollection",
    "IncidentDetail",
    "IncidentList",
    "IncidentPublic",
    "LocationPublic",
    "PlaceList",
    "PlacePublic",
    "ReportPublic",
    "SourcePublic",
    "StatsResponse",
    "StatsRow",
    "StatsTotal",
]
