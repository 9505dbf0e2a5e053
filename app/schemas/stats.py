"""Public shapes of aggregate counts."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class StatsRow(BaseModel):
    """One group: its key values (only the requested `group_by` keys appear) and its counts."""

    model_config = ConfigDict(
        extra="allow",
        json_schema_extra={"examples": [{"year": 2021, "destination": "CHN", "incidents": 4, "people": 15}]},
    )

    year: int | None = Field(default=None, description="Year of date_start (group_by=year).", examples=[2021])
    month: str | None = Field(default=None, description="YYYY-MM of date_start (group_by=month).", examples=["2021-03"])
    origin: str | None = Field(default=None, description="origin_country (group_by=origin).", examples=["PRK"])
    destination: str | None = Field(default=None, description="destination_country.", examples=["CHN"])
    method: str | None = Field(default=None, description="method (group_by=method).", examples=["river"])
    actor: str | None = Field(default=None, description="actor (group_by=actor).", examples=["soldier"])
    crossing: str | None = Field(default=None, description="crossing (group_by=crossing).", examples=["Yalu River"])
    outcome: str | None = Field(default=None, description="outcome (group_by=outcome).", examples=["crossed"])
    incidents: int = Field(description="Number of incidents in the group.", examples=[4])
    people: int = Field(
        description="Sum of group_size (group_size_min when the size is vague) over the group.", examples=[15]
    )


class StatsTotal(BaseModel):
    """Counts over every matching incident."""

    incidents: int = Field(description="Number of matching incidents.", examples=[12])
    people: int = Field(description="Sum of group_size (or group_size_min) over them.", examples=[40])


class StatsResponse(BaseModel):
    """Counts of incidents and people, grouped."""

    group_by: list[str] = Field(description="The grouping keys, in order.", examples=[["year", "destination"]])
    data: list[StatsRow] = Field(description="One row per group, ordered by the keys (nulls last).")
    total: StatsTotal = Field(description="Counts over all matching incidents.")
