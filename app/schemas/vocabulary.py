"""The closed vocabularies of the incident record (../shared/spec/incident-record.md), shared by schemas and filters."""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Annotated, Any

from pydantic import BeforeValidator

DATE_PRECISIONS = ("day", "week", "month", "year")
METHODS = ("river", "dmz", "land", "sea", "swim", "air", "abroad", "other")
ACTORS = ("soldier", "civilian", "fisher", "diplomat", "official", "worker", "athlete", "student")
OUTCOMES = ("crossed", "caught", "repatriated", "killed", "returned", "unknown")
LOCATION_KINDS = ("river", "city", "county", "province", "border_area", "sea", "island", "facility", "country")
GEO_PRECISIONS = ("exact", "near", "region", "country")

# Database ids are 32-bit on PostgreSQL; larger values can name nothing and must not reach the driver.
MAX_ID = 2_147_483_647
MIN_ID = -MAX_ID - 1
# Counts in filters: far above any real group, well inside every database's integer range.
MAX_COUNT = 1_000_000

_NUMBER = re.compile(r"^\s*[+-]?\d+(?:\.\d*)?\s*$")


def _iso_only(value: Any) -> Any:
    """Pydantic reads bare numbers as Unix timestamps; this API takes ISO 8601 dates and times only."""
    if isinstance(value, int | float) or (isinstance(value, str) and _NUMBER.match(value)):
        raise ValueError("expected an ISO 8601 date (YYYY-MM-DD) or date-time, not a number")
    return value


IsoDate = Annotated[date, BeforeValidator(_iso_only)]
IsoDatetime = Annotated[datetime, BeforeValidator(_iso_only)]
