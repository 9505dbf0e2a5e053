"""Public shapes of the places incidents refer to."""

from __future__ import annotations

from datetime import date

from pydantic import BaseModel, Field


class PlacePublic(BaseModel):
    """A place named as the location of one or more incidents."""

    name: str | None = Field(description="Place name.", examples=["Hyesan"])
    kind: str | None = Field(description="river, city, county, province, ... (spec location kinds).", examples=["city"])
    country: str | None = Field(description="ISO 3166-1 alpha-3 of the place.", examples=["PRK"])
    lat: float | None = Field(description="Latitude.", examples=[41.4017])
    lon: float | None = Field(description="Longitude.", examples=[128.1775])
    incidents: int = Field(description="Number of matching incidents located there.", examples=[3])
    first_date: date | None = Field(description="Earliest date_start among them.", examples=["2017-11-03"])
    last_date: date | None = Field(description="Latest date_end (or date_start) among them.", examples=["2021-03-02"])


class PlaceList(BaseModel):
    """Places, most incidents first."""

    data: list[PlacePublic] = Field(description="The places, most incidents first, then by name.")
    total: int = Field(description="Number of places matching the filters (before `limit`).", examples=[27])
