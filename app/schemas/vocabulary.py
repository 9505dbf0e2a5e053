"""The closed vocabularies of the incident record (../shared/spec/incident-record.md), shared by schemas and filters."""

from __future__ import annotations

DATE_PRECISIONS = ("day", "week", "month", "year")
METHODS = ("river", "dmz", "land", "sea", "swim", "air", "abroad", "other")
ACTORS = ("soldier", "civilian", "fisher", "diplomat", "official", "worker", "athlete", "student")
OUTCOMES = ("crossed", "caught", "repatriated", "killed", "returned", "unknown")
LOCATION_KINDS = ("river", "city", "county", "province", "border_area", "sea", "island", "facility", "country")
GEO_PRECISIONS = ("exact", "near", "region", "country")
