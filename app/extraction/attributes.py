"""Stage 3a, attributes: what one stretch of text says about group size, actor, route, method, arms and outcome.

Each finder returns `Found` values carrying the span they came from and the rule that fired, so every field of an
incident can be traced back to the article's words.
"""

from __future__ import annotations

import itertools
import re
from functools import cache

from app.extraction.lexicon import Crossing, GazetteerHit, gazetteer, lexicon
from app.extraction.types import Found, Place

# Up to four modifiers between a number and its noun ("six North Korean border soldiers"), but no function words,
# so "6-7 dead as armed men" does not count seven men.
_ADJ = (
    r"(?:(?!(?:as|and|or|of|in|on|at|to|from|with|by|the|were|was|are|is|who|that|had|have|has|for|after|before|"
    r"while|when|than|killed|dead|injured|wounded)\b)[\w'\",-]+\s+){0,4}?"
)


@cache
def _nouns() -> tuple[str, str]:
    """(plural person nouns, singular person nouns) as regex alternations, longest first."""
    lex = lexicon()
    plural_like = ("s", "men", "people", "crew", "children", "troops", "staff", "youth")
    nouns = sorted(lex.person_nouns, key=len, reverse=True)
    plurals = [n for n in nouns if n.endswith(plural_like)]
    singulars = [n for n in nouns if not n.endswith(plural_like) or n.endswith(("ss", "us"))]
    demonym_plurals = [d for d in sorted(gazetteer().demonyms, key=len, reverse=True) if d.endswith("s")]
    def alternation(words: list[str]) -> str:
        # Multi-word nouns may be broken over a line in scraped text ("16 North\nKoreans").
        return "|".join(re.escape(w).replace(r"\ ", r"\s+") for w in words)

    plural = alternation([*plurals, *demonym_plurals, "defections", "desertions", "crew members", "family members",
                          "relatives"])
    singular = alternation([*singulars, "solder", "serviceman", "pilot", "defector", "escapee"])
    return plural, singular


@cache
def _size_patterns() -> list[tuple[str, re.Pattern[str]]]:
    lex = lexicon()
    words = sorted((w for w in lex.number_words if w not in ("a", "an", "lone")), key=len, reverse=True)
    number = r"(?P<n>\d{1,3}(?![\d,.]\d)|" + "|".join(re.escape(w) for w in words) + ")"
    plural, _singular = _nouns()
    group = r"(?:unit|group|family|team|party|band|squad|crew|total|gang|boatload|contingent)"
    return [
        (
            "group_of",
            re.compile(rf"\b(?:a|the|an)\s+(?:[\w-]+\s+){{0,3}}?{group}\s+of\s+{number}\b(?!\s*(?:years?|-year|%))",
                       re.I),
        ),
        ("n_of_the_m", re.compile(rf"\b{number}\s+of\s+(?:the|them|those|these)\b", re.I)),
        ("count_noun", re.compile(rf"\b{number}\s+{_ADJ}(?:{plural})\b", re.I)),
    ]


@cache
def _singular_pattern() -> re.Pattern[str]:
    _plural, singular = _nouns()
    return re.compile(rf"\b(?:a|an|one|another|the)\s+{_ADJ}(?:{singular})\b", re.I)


@cache
def _group_noun_pattern() -> re.Pattern[str]:
    nouns = "|".join(re.escape(n) for n in lexicon().group_nouns)
    return re.compile(rf"\b(?:a|the|their|his|her)\s+(?:[\w-]+\s+){{0,2}}?(?P<noun>{nouns})\b", re.I)


_TITLED_NAME = re.compile(
    r"\b(?:Lt|Lieutenant|Capt|Captain|Sgt|Sergeant|Cpl|Corporal|Pvt|Private|Maj|Major|Col|Colonel|Mr|Ms|Mrs|Dr)"
    r"\.?\s+[A-Z][a-z]+(?:[\s-][A-Z][a-z]+){0,3}"
)
_COMPANIONS = re.compile(
    r"\b(?:with|along\s+with|together\s+with|accompanied\s+by|packed|took|brought|and)\s+(?:his|her|their)\s+"
    r"(?P<list>(?:[\w-]+\s*,?\s*(?:and\s+)?){1,10})",
    re.I,
)
_VAGUE_MORE = re.compile(r"\b(?:more\s+than|over|at\s+least|upwards\s+of)\s+(?P<n>\d{1,3}|\w+)\s+", re.I)
_ABOUT = re.compile(r"\b(?:about|around|some|roughly|approximately|nearly|almost)\s+(?P<n>\d{1,3}|\w+)\s+", re.I)
_NOT_PEOPLE_AFTER = re.compile(
    r"^\s*(?:-?\s*year|years|months|days|hours|km|kilomet|metres|meters|miles|%|percent)", re.I
)


def _number(token: str) -> int | None:
    token = token.lower().strip()
    if token.isdigit():
        return int(token)
    return lexicon().number_words.get(token)


def _companions(text: str, start: int, end: int) -> list[Found]:
    """'...with his wife, son and four other sailors' counts the subject plus everyone listed."""
    out = []
    for m in _COMPANIONS.finditer(text, start, end):
        items = re.split(r"\s*,\s*|\s+and\s+", m.group("list").strip())
        total, exact = 1, True
        counted = False
        for item in items:
            words = item.lower().split()
            if not words:
                continue
            n = _number(words[0]) if len(words) > 1 else None
            head = words[-1]
            if n is not None and n < 100:
                total += n
                counted = True
            elif head in (
                "wife",
                "husband",
                "son",
                "daughter",
                "mother",
                "father",
                "brother",
                "sister",
                "friend",
                "child",
                "baby",
                "grandmother",
                "grandfather",
                "nephew",
                "niece",
                "girlfriend",
            ):
                total += 1
                counted = True
            elif head in (
                "children",
                "sons",
                "daughters",
                "kids",
                "family",
                "relatives",
                "crew",
                "parents",
                "brothers",
                "sisters",
                "friends",
            ):
                total += 2
                exact = False
                counted = True
            else:
                break
        if counted:
            rule = "companions" if exact else "companions_min"
            out.append(
                Found((total, None, None) if exact else (None, total, None), m.start(), m.end(), rule, m.group(0))
            )
    return out


_BROUGHT = re.compile(
    r"\b(?:packed|took|brought|flew|carried|smuggled|picked\s+up)\s+(?P<n>\d{1,2}|[a-z]+)\s+(?:[\w-]+\s+){0,2}?"
    r"(?:relatives|family\s+members|passengers|people|children|friends|others)\b",
    re.I,
)


def _conjoined(text: str, found: list[Found]) -> list[Found]:
    """'two soldiers and a civilian', 'the parents and their three children': people joined by 'and' add up."""
    people = sorted((f for f in found if f.rule in ("count_noun", "singular", "group_noun") and f.value[0]),
                    key=lambda f: f.start)
    out = []
    for left, right in itertools.pairwise(people):
        between = text[left.end : right.start]
        if re.fullmatch(r"\s*(?:,\s*)?and\s+(?:(?:his|her|their)\s+)?", between, re.I) or re.fullmatch(
            r"\s+and\s+", between
        ):
            total = int(left.value[0]) + int(right.value[0])
            out.append(Found((total, None, None), left.start, right.end, "conjoined", text[left.start : right.end]))
    return out


def group_sizes(text: str, start: int, end: int) -> list[Found]:
    """Counts of people in text[start:end]: value is (size, min, max)."""
    found: list[Found] = []
    for rule, pattern in _size_patterns():
        for m in pattern.finditer(text, start, end):
            n = _number(m.group("n"))
            if n is None or n == 0 or _NOT_PEOPLE_AFTER.match(text[m.end("n") : m.end("n") + 12]):
                continue
            if rule != "group_of" and n >= 100:
                continue
            found.append(Found((n, None, None), m.start(), m.end(), rule, m.group(0)))
    found.extend(_companions(text, start, end))
    for m in _BROUGHT.finditer(text, start, end):
        n = _number(m.group("n"))
        if n is not None and n < 100:
            found.append(Found((n + 1, None, None), m.start(), m.end(), "companions", m.group(0)))
    lex = lexicon()
    for phrase, (low, high) in lex.vague_counts.items():
        if phrase in ("a group of", "many"):
            continue
        plural = _nouns()[0]
        for m in re.finditer(rf"\b{re.escape(phrase)}\s+{_ADJ}(?:{plural})\b", text[start:end], re.I):
            found.append(Found((None, low, high), start + m.start(), start + m.end(), "vague_count", m.group(0)))
    for m in _VAGUE_MORE.finditer(text, start, end):
        n = _number(m.group("n"))
        if n is not None and not _NOT_PEOPLE_AFTER.match(text[m.end("n") : m.end("n") + 12]):
            low = n + 1 if m.group(0).lower().startswith(("more", "over")) else n
            found.append(Found((None, low, None), m.start(), m.end(), "more_than", m.group(0)))
    for m in _ABOUT.finditer(text, start, end):
        n = _number(m.group("n"))
        if n is not None and n >= 5 and not _NOT_PEOPLE_AFTER.match(text[m.end("n") : m.end("n") + 12]):
            found.append(Found((n, round(n * 0.9), round(n * 1.1)), m.start(), m.end(), "about", m.group(0)))
    titled = list(_TITLED_NAME.finditer(text, start, end))
    if len(titled) >= 2 and re.search(r"\band\b", text[titled[0].end() : titled[1].start()]):
        found.append(
            Found(
                (2, None, None),
                titled[0].start(),
                titled[1].end(),
                "two_named",
                text[titled[0].start() : titled[1].end()],
            )
        )
    for m in _singular_pattern().finditer(text, start, end):
        found.append(Found((1, None, None), m.start(), m.end(), "singular", m.group(0)))
    for m in _group_noun_pattern().finditer(text, start, end):
        n = lexicon().group_nouns[m.group("noun").lower()]
        found.append(Found((n, None, None), m.start(), m.end(), "group_noun", m.group(0)))
    found.extend(_conjoined(text, found))
    if titled:
        found.append(Found((1, None, None), titled[0].start(), titled[0].end(), "named_person", titled[0].group(0)))
    return sorted(found, key=lambda f: f.start)


def actors(text: str, start: int, end: int) -> list[Found]:
    """Kinds of people named in text[start:end] (by their nouns)."""
    lex = lexicon()
    out = []
    nouns = sorted(lex.person_nouns, key=len, reverse=True)
    pattern = re.compile(r"\b(?:" + "|".join(re.escape(n) for n in nouns) + r")\b", re.I)
    for m in pattern.finditer(text, start, end):
        category = lex.person_nouns.get(m.group(0).lower())
        if category is None:
            continue
        # "a South Korean defence ministry official said" names who spoke, not who escaped.
        after = text[m.end() : m.end() + 25].lower()
        if category == "official" and re.match(r"\s*(?:said|told|says|say|confirmed|added|quoted|familiar)", after):
            continue
        out.append(Found(category, m.start(), m.end(), "person_noun", m.group(0)))
    for category, pattern in lex.actor_context.items():
        for m in pattern.finditer(text, start, end):
            out.append(Found(category, m.start(), m.end(), "actor_context", m.group(0)))
    return sorted(out, key=lambda f: f.start)


def places(text: str, start: int, end: int) -> list[GazetteerHit]:
    return gazetteer().find(text, start, end)


def methods(text: str, start: int, end: int) -> list[Found]:
    lex = lexicon()
    out = []
    for method, pattern in lex.method_cues.items():
        for m in pattern.finditer(text, start, end):
            out.append(Found(method, m.start(), m.end(), f"method_{method}", m.group(0)))
    return out


def armed(text: str, start: int, end: int) -> list[Found]:
    lex = lexicon()
    out = [
        Found(False, m.start(), m.end(), "armed_false", m.group(0)) for m in lex.armed_false.finditer(text, start, end)
    ]
    for m in lex.armed_true.finditer(text, start, end):
        if re.match(r"\s+(?:forces|services|conflict|police|robbery)", text[m.end() : m.end() + 12], re.I):
            continue
        if any(f.start <= m.start() < f.end for f in out):
            continue
        out.append(Found(True, m.start(), m.end(), "armed_true", m.group(0)))
    return out


def outcomes(text: str, start: int, end: int) -> list[Found]:
    lex = lexicon()
    out = []
    for outcome, pattern in lex.outcome_cues.items():
        for m in pattern.finditer(text, start, end):
            out.append(Found(outcome, m.start(), m.end(), f"outcome_{outcome}", m.group(0)))
    return out


def _resolve_place_name(name: str, origin: str | None) -> tuple[str | None, Place | None, Crossing | None]:
    """A capitalised name after 'to'/'into'/'in' -> (country, place, crossing)."""
    gaz = gazetteer()
    lex = lexicon()
    words = name.split()
    for n in range(len(words), 0, -1):
        candidate = " ".join(words[:n])
        directional = lex.directional.get(("the " + candidate).lower()) or lex.directional.get(candidate.lower())
        if directional:
            return directional, None, None
        hit = gaz.lookup(candidate)
        if hit is None:
            continue
        kind, value = hit
        if kind == "country":
            return str(value), None, None
        if kind == "place":
            return value.country, value, None
        if kind == "crossing":
            other = [c for c in value.sides if c != origin]
            return (other[0] if len(other) == 1 else None), None, value
        return None, None, None
    return None, None, None


def destinations(text: str, start: int, end: int, origin: str | None) -> list[Found]:
    """Countries people went to, from 'to China', 'into South Korea', 'asylum in Tanzania', 'to the South'."""
    out = []
    segment = text[start:end]
    for rule, pattern in lexicon().destination_patterns:
        for m in pattern.finditer(segment):
            name = m.group("place")
            country, _place, _crossing = _resolve_place_name(name, origin)
            if country and country != origin:
                s = start + m.start("place")
                out.append(Found(country, s, s + len(name), rule, name))
    for m in re.finditer(r"\b(?:to|into|toward|towards|reach(?:ed)?)\s+the\s+(South|North|south|north)\b", segment):
        code = "KOR" if m.group(1).lower() == "south" else "PRK"
        if code != origin:
            s = start + m.start(1)
            out.append(Found(code, s, s + len(m.group(1)), "to_the_south", m.group(0)))
    return sorted(out, key=lambda f: f.start)


@cache
def _person_after_demonym() -> re.Pattern[str]:
    nouns = sorted((n for n in lexicon().person_nouns), key=len, reverse=True)
    extra = ["nationals?", "citizens?", "defectors?", "pilots?", "team", "national\\s+team", "squad", "club",
             "delegation", "air\\s+force", "army", "navy", "military", "crew", "couple", "family", "families"]
    alternatives = "|".join([re.escape(n) for n in nouns] + extra)
    return re.compile(rf"^\s+(?:[\w'\",-]+\s+){{0,3}}?(?:{alternatives})\b", re.I)


_POSSESSIVE_COUNTRY = re.compile(
    r"^'s\s+(?:[\w'-]+\s+){0,3}?(?:team|squad|club|army|air\s+force|navy|military|border\s+guards?|soldiers|"
    r"embassy|delegation|national|under-\d+|diplomats?|workers|athletes|players)\b",
    re.I,
)


def origins(text: str, start: int, end: int) -> list[Found]:
    """Countries people came from, best first: a demonym on the people themselves ('North Korean soldiers',
    'Eritreans'), a possessive ('Cuba's national team'), then 'from <country>'."""
    gaz = gazetteer()
    ranked: list[tuple[int, Found]] = []
    for hit in gaz.find(text, start, end):
        after = text[hit.end : hit.end + 60]
        if hit.kind == "demonym":
            plural_people = hit.text.endswith("s") and not hit.text.endswith("ss")
            if plural_people or _person_after_demonym().match(after):
                ranked.append((0, Found(hit.value, hit.start, hit.end, "demonym", hit.text)))
        elif hit.kind == "country" and _POSSESSIVE_COUNTRY.match(after):
            ranked.append((1, Found(hit.value, hit.start, hit.end, "possessive_country", hit.text)))
    for m in lexicon().origin_patterns.finditer(text[start:end]):
        country, _p, _c = _resolve_place_name(m.group("place"), None)
        if country:
            s = start + m.start("place")
            ranked.append((2, Found(country, s, s + len(m.group("place")), "from_country", m.group("place"))))
    return [f for _, f in sorted(ranked, key=lambda r: (r[0], r[1].start))]
