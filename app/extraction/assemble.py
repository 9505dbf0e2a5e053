"""Stage 3b, assembly: group mentions of the same event into incidents and settle each field with its evidence."""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from datetime import date

from app.extraction import attributes as attrs
from app.extraction.dates import DateMention
from app.extraction.lexicon import Crossing, GazetteerHit, gazetteer, lexicon
from app.extraction.types import DateWindow, Document, Evidence, ExtractedIncident, Found, Place, Span

_SIZE_RULE_RANK = {
    "group_of": 0,
    "conjoined": 1,
    "companions": 1,
    "count_noun": 2,
    "companions_min": 3,
    "n_of_the_m": 4,
    "two_named": 5,
    "group_noun": 5,
    "about": 6,
    "more_than": 7,
    "vague_count": 8,
    "named_person": 9,
    "singular": 10,
}
_KOREAS = {"PRK", "KOR"}


@dataclass(slots=True)
class MentionInfo:
    """What one mention (a sentence or clause about an escape) says; built once, read by grouping and assembly."""

    start: int
    end: int
    trigger: Found
    strength: float
    dates: list[DateMention]
    sizes: list[Found]
    places: list[GazetteerHit]
    new_event: bool
    anaphoric: bool
    destinations: tuple[str, ...] = ()
    support: bool = False
    headline: bool = False

    @property
    def event_date(self) -> DateMention | None:
        usable = [d for d in self.dates if not d.reporting and not d.since and d.window is not None]
        if usable:
            return usable[0]
        unresolved = [d for d in self.dates if not d.reporting and not d.since]
        return unresolved[0] if unresolved else None

    @property
    def explicit_size(self) -> Found | None:
        # Counts far after the trigger are usually other people ("...while four guards opened fire").
        near = [s for s in self.sizes if s.start < self.trigger.end + 40]
        ranked = [s for s in near if _SIZE_RULE_RANK.get(s.rule, 99) <= 4]
        return min(ranked, key=lambda s: (_SIZE_RULE_RANK[s.rule], s.start)) if ranked else None

    @property
    def crossing(self) -> Crossing | None:
        for hit in self.places:
            if hit.kind == "crossing":
                return hit.value  # type: ignore[no-any-return]
        return None


@dataclass(slots=True)
class Draft:
    mentions: list[MentionInfo] = field(default_factory=list)

    @property
    def first(self) -> MentionInfo:
        return self.mentions[0]

    def date_window(self) -> DateWindow | None:
        for m in self.mentions:
            if not m.support and m.event_date and m.event_date.window:
                return m.event_date.window
        for m in self.mentions:
            if m.event_date and m.event_date.window:
                return m.event_date.window
        return None

    def destinations(self) -> set[str]:
        return {d for m in self.mentions if not m.support for d in m.destinations}

    def has_unresolved_date(self) -> bool:
        return any(m.event_date is not None and m.event_date.window is None for m in self.mentions if not m.support)

    def size(self) -> int | None:
        for m in self.mentions:
            s = m.explicit_size
            if s is not None and s.value[0] is not None:
                return int(s.value[0])
        return None


def _compatible(draft: Draft, m: MentionInfo) -> tuple[bool, int]:
    """(no conflict, number of agreeing attributes) between a draft incident and a new mention."""
    agree = 0
    d_window, m_date = draft.date_window(), m.event_date
    if m_date is not None:
        if m_date.window is not None and d_window is not None:
            if not m_date.window.overlaps(d_window):
                return False, 0
            agree += 1
        elif m_date.window is None and d_window is None and draft.has_unresolved_date():
            # Two unresolvable date phrases: same words, same event; different words, different events.
            texts = {x.event_date.text.lower() for x in draft.mentions if x.event_date and not x.support}
            if m_date.text.lower() not in texts:
                return False, 0
            agree += 1
        elif (m_date.window is None) != (d_window is None and not draft.has_unresolved_date()):
            pass
    size, d_size = (None if m.anaphoric else m.explicit_size), draft.size()
    if m.destinations and draft.destinations():
        if set(m.destinations) & draft.destinations():
            agree += 1
        else:
            return False, 0
    if d_size is None and size is not None and size.rule in ("group_of", "count_noun") and size.value[0] != 1:
        singles = [s for x in draft.mentions if not x.support for s in x.sizes if s.rule == "singular"]
        if singles and all(x.explicit_size is None for x in draft.mentions if not x.support):
            return False, 0
    if size is not None and d_size is not None and size.value[0] is not None:
        if size.value[0] == d_size:
            agree += 1
        elif size.rule in ("group_of", "count_noun") and not re.search(r"\bof\s+(?:them|the)\b", size.text, re.I):
            return False, 0
    crossing = m.crossing
    if crossing is not None:
        d_crossings = {x.crossing.name for x in draft.mentions if x.crossing is not None}
        if d_crossings:
            if crossing.name in d_crossings:
                agree += 1
            elif not ({crossing.name} | d_crossings) <= {"Military Demarcation Line", "Joint Security Area"}:
                return False, 0
    names = {h.value.name for x in draft.mentions for h in x.places if h.kind == "place"}
    agree += sum(1 for h in m.places if h.kind == "place" and h.value.name in names)
    return True, agree


def _is_background_date(m: MentionInfo, published: date | None) -> bool:
    """A date well before publication marks an earlier incident told as background."""
    d = m.event_date
    return bool(published and d and d.window and d.window.end and (published - d.window.end).days > 60)


def group(mentions: list[MentionInfo], published: date | None = None) -> list[Draft]:
    drafts: list[Draft] = []
    last: Draft | None = None
    for m in mentions:
        scored = [(draft, *_compatible(draft, m)) for draft in drafts]
        candidates = [(draft, agree) for draft, ok, agree in scored if ok]
        target: Draft | None = None
        if candidates:
            best_agree = max(a for _, a in candidates)
            top = [d for d, a in candidates if a == best_agree]
            if m.headline:
                target = top[0]
            elif m.support:
                target = last if last in top else (top[0] if best_agree > 0 else None)
            elif (m.new_event and best_agree == 0) or (
                m.event_date is not None and best_agree == 0 and all(d.date_window() for d in top)
            ):
                target = None
            elif m.anaphoric and last in top:
                target = last
            else:
                target = top[0]
        if target is None:
            if m.support:
                continue
            target = Draft()
            drafts.append(target)
        target.mentions.append(m)
        last = target
    return [d for d in drafts if any(not m.support for m in d.mentions)]


# --- settling each field -------------------------------------------------------------------------------------


@dataclass(slots=True)
class _Builder:
    doc: Document
    draft: Draft
    article_origin: Found | None
    evidence: list[Evidence] = field(default_factory=list)

    def cite(self, name: str, found: Found | GazetteerHit | DateMention, rule: str | None = None) -> None:
        text = found.text
        rule_name = rule or getattr(found, "rule", None) or getattr(found, "kind", "gazetteer")
        self.evidence.append(Evidence(name, text, found.start, found.end, str(rule_name)))

    @property
    def spans(self) -> list[tuple[int, int]]:
        return [(m.start, m.end) for m in self.draft.mentions]

    @property
    def core_spans(self) -> list[tuple[int, int]]:
        return [(m.start, m.end) for m in self.draft.mentions if not m.support]

    def each(self, finder, *, core: bool = False) -> list:  # type: ignore[no-untyped-def]
        out = []
        for s, e in self.core_spans if core else self.spans:
            out.extend(finder(self.doc.text, s, e))
        return out

    def date(self) -> tuple[DateWindow | None, DateMention | None]:
        primary = next((m.event_date for m in self.draft.mentions if not m.support and m.event_date), None)
        candidates = [m.event_date for m in self.draft.mentions if m.event_date and m.event_date.window]
        if primary is not None and primary.window is None:
            return None, primary
        if not candidates:
            return None, primary
        anchor = primary.window if primary is not None and primary.window is not None else None
        usable = [c for c in candidates if anchor is None or (c.window and c.window.overlaps(anchor, 0))]
        best = min(usable or candidates, key=lambda c: (c.window.width_days if c.window else 10**6, c.start))
        return best.window, best

    def size(self) -> tuple[int | None, int | None, int | None]:
        sizes = [s for m in self.draft.mentions if not m.support for s in m.sizes]
        if not sizes:
            sizes = [s for m in self.draft.mentions for s in m.sizes]
        if not sizes:
            return None, None, None
        first = self.draft.first
        ranked = sorted(
            sizes,
            key=lambda s: (_SIZE_RULE_RANK.get(s.rule, 99), 0 if first.start <= s.start < first.end else 1, s.start),
        )
        best = ranked[0]
        self.cite("group_size", best)
        size, low, high = best.value
        return size, low, high

    def origin(self) -> str | None:
        found = self.each(attrs.origins, core=True)
        if found:
            self.cite("origin_country", found[0])
            return str(found[0].value)
        if self.article_origin is not None:
            self.cite("origin_country", self.article_origin, "article_origin")
            return str(self.article_origin.value)
        return None

    def crossing(self) -> Crossing | None:
        for m in self.draft.mentions:
            for hit in m.places:
                if hit.kind == "crossing":
                    self.cite("crossing", hit, "gazetteer_crossing")
                    return hit.value  # type: ignore[no-any-return]
        river_words = re.compile(r"\b(?:river|riverbank|waded|wading|on\s+the\s+ice)\b", re.I)
        if any(river_words.search(self.doc.text[s:e]) for s, e in self.spans):
            gaz = gazetteer()
            for m in self.draft.mentions:
                for hit in m.places:
                    if hit.kind == "place" and hit.value.border_river in gaz.crossings:
                        self.cite("crossing", hit, "border_river_of_place")
                        return gaz.crossings[hit.value.border_river]
        return None

    def method(self, crossing: Crossing | None, origin: str | None, destination: str | None) -> str | None:
        lex = lexicon()
        cues = self.each(attrs.methods, core=True)
        by_method: dict[str, Found] = {}
        for cue in cues:
            by_method.setdefault(cue.value, cue)
        strong = ("air", "swim", "sea", "abroad")
        for method in lex.method_priority:
            if method in by_method and (method in strong or crossing is None):
                if method == "abroad" and crossing is not None:
                    continue
                self.cite("method", by_method[method])
                return method
        if crossing is not None:
            return crossing.method
        if origin in _KOREAS and destination in _KOREAS and origin != destination:
            return (
                "dmz" if any(re.search(r"\bborder\b", self.doc.text[s:e], re.I) for s, e in self.core_spans) else None
            )
        return None

    def destination(self, origin: str | None, crossing: Crossing | None, method: str | None) -> str | None:
        found = [f for s, e in self.core_spans for f in attrs.destinations(self.doc.text, s, e, origin)]
        if found:
            self.cite("destination_country", found[0])
            return str(found[0].value)
        if crossing is not None and origin in crossing.sides:
            others = [c for c in crossing.sides if c != origin]
            if len(others) == 1:
                return others[0]
        for m in self.draft.mentions:
            for hit in m.places:
                if (
                    hit.kind == "place"
                    and hit.value.country
                    and hit.value.country != origin
                    and hit.value.kind != "sea"
                ):
                    self.cite("destination_country", hit, "foreign_place")
                    return str(hit.value.country)
        if origin == "PRK" and method in ("dmz", "sea", "swim"):
            return "KOR"
        return None

    def actor(self) -> str | None:
        lex = lexicon()
        first = self.draft.first
        subject_end = first.trigger.start
        nouns = [f for f in attrs.actors(self.doc.text, first.start, first.end) if f.rule == "person_noun"]
        subject = [f for f in nouns if f.start < subject_end and not _foreign_or_agent(self.doc.text, f)]
        pool = subject or [f for f in self.each(attrs.actors, core=True) if not _foreign_or_agent(self.doc.text, f)]
        if not pool:
            # Someone escaped, and nothing says they were a soldier, diplomat, athlete...: a civilian.
            return lex.actor_default
        categories = {f.value for f in pool}
        for category in lex.actor_priority:
            if category in categories:
                chosen = next(f for f in pool if f.value == category)
                self.cite("actor", chosen)
                return category
        return None

    def armed(self) -> bool | None:
        found = self.each(attrs.armed)
        if found:
            self.cite("armed", found[0])
            return bool(found[0].value)
        return None

    def outcome(self) -> str:
        lex = lexicon()
        found = self.each(attrs.outcomes, core=True)
        for outcome in lex.outcome_priority:
            match = next((f for f in found if f.value == outcome), None)
            if match is not None:
                self.cite("outcome", match)
                return outcome
        return "unknown"

    def places(self) -> list[Place]:
        seen: dict[str, Place] = {}
        for m in self.draft.mentions:
            for hit in m.places:
                if hit.kind == "place" and hit.value.name not in seen:
                    seen[hit.value.name] = hit.value
        return list(seen.values())


def _consistent_route(
    origin: str | None, destination: str | None, crossing: Crossing | None
) -> tuple[str | None, str | None]:
    """Nobody escapes into their own country: when the two agree, the origin is the far side of the crossing."""
    if destination is None or (origin is not None and origin != destination):
        return origin, destination
    if crossing is not None and destination in crossing.sides and len(crossing.sides) == 2:
        return next(c for c in crossing.sides if c != destination), destination
    if destination in _KOREAS:
        return ("KOR" if destination == "PRK" else "PRK"), destination
    return origin, (None if origin == destination else destination)


def _foreign_or_agent(text: str, noun: Found) -> bool:
    """'spotted by South Korean soldiers', 'Chinese police': people who are not the ones escaping."""
    before = text[max(0, noun.start - 40) : noun.start]
    return bool(
        re.search(r"\bby\s+(?:[\w-]+\s+){0,3}$", before, re.I)
        or re.search(
            r"\b(?:South\s+Korean|Chinese|Russian|American|U\.S\.|UN|Thai|Japanese|rescue|search)\s+"
            r"(?:[\w-]+\s+){0,2}$",
            before,
        )
    )


def _summary(
    size: int | None,
    low: int | None,
    armed: bool | None,
    actor: str | None,
    outcome: str,
    method: str | None,
    crossing: Crossing | None,
    origin: str | None,
    destination: str | None,
) -> str:
    names = gazetteer().country_names
    count = str(size) if size else (f"At least {low}" if low else "")
    plural = not (size == 1)
    noun = {
        "soldier": "soldier",
        "civilian": "civilian",
        "fisher": "fisher",
        "diplomat": "diplomat",
        "official": "official",
        "worker": "worker",
        "athlete": "athlete",
        "student": "student",
    }.get(actor or "", "person")
    if plural:
        noun = "people" if noun == "person" else noun + "s"
    who = " ".join(x for x in (count, "armed" if armed else "", noun) if x)
    who = who[0].upper() + who[1:]
    verb = {
        "caught": "were caught trying to cross" if plural else "was caught trying to cross",
        "killed": "were killed trying to cross" if plural else "was killed trying to cross",
        "repatriated": "crossed and were sent back, having crossed" if plural else "was sent back after crossing",
        "returned": "crossed and later returned, via" if plural else "crossed and later returned, via",
    }.get(outcome, "crossed" if crossing else ("left" if method == "abroad" else "fled"))
    route = ""
    if crossing is not None:
        route += f" the {crossing.name}"
    elif outcome in ("caught", "killed", "repatriated"):
        route += " the border"
    if origin:
        route += f" from {names.get(origin, origin)}"
    if destination:
        route += f" to {names.get(destination, destination)}"
    by = {"air": " by air", "sea": " by boat", "swim": " swimming", "abroad": " while abroad"}.get(method or "", "")
    return f"{who} {verb}{route}{by}".replace("  ", " ").strip()


def _geo_precision(place: Place | None) -> str | None:
    if place is None:
        return None
    return {6: "exact", 5: "exact", 4: "near", 3: "region", 2: "region"}.get(place.rank, "country")


def _confidence(draft: Draft, has_date: bool, size: int | None, place: Place | None) -> float:
    strengths = sorted((m.strength for m in draft.mentions if not m.support), reverse=True)
    score = 0.35 + 0.35 * min(strengths[0], 1.0)
    score += 0.05 * min(len(strengths) - 1, 3)
    score += 0.05 * has_date + 0.05 * (size is not None) + 0.05 * (place is not None)
    return max(0.05, min(score, 0.99))


def article_origin(doc: Document, mentions: list[MentionInfo]) -> Found | None:
    """The country most of the article's escapees come from, for mentions that do not name it."""
    counter: Counter[str] = Counter()
    first: dict[str, Found] = {}
    spans = [(m.start, m.end) for m in mentions if not m.support] or [(0, min(len(doc.text), 2000))]
    for s, e in spans:
        for f in attrs.origins(doc.text, s, e):
            counter[f.value] += 1
            first.setdefault(f.value, f)
    if not counter:
        for f in attrs.origins(doc.text, 0, len(doc.text)):
            counter[f.value] += 1
            first.setdefault(f.value, f)
    if not counter:
        return None
    code, _ = counter.most_common(1)[0]
    return first[code]


def build(doc: Document, draft: Draft, origin_hint: Found | None) -> ExtractedIncident:
    b = _Builder(doc, draft, origin_hint)
    window, date_mention = b.date()
    if date_mention is not None:
        b.cite("date", date_mention, date_mention.rule)
    size, low, high = b.size()
    origin = b.origin()
    crossing = b.crossing()
    provisional_method = b.method(crossing, origin, None)
    destination = b.destination(origin, crossing, provisional_method)
    method = provisional_method or b.method(crossing, origin, destination)
    origin, destination = _consistent_route(origin, destination, crossing)
    actor = b.actor()
    armed = b.armed()
    outcome = b.outcome()
    places = b.places()
    location = max(places, key=lambda p: p.rank) if places else None
    if location is None and crossing is not None:
        location = Place(crossing.name, crossing.kind, None, crossing.lat, crossing.lon, rank=3)
    transit = _transit(doc, b, origin, destination)
    return ExtractedIncident(
        date_start=window.start if window else None,
        date_end=window.end if window else None,
        date_precision=window.precision if window else None,
        date_text=date_mention.text if date_mention else None,
        origin_country=origin,
        destination_country=destination,
        transit_countries=tuple(transit),
        crossing=crossing.name if crossing else None,
        method=method,
        group_size=size,
        group_size_min=low,
        group_size_max=high,
        actor=actor,
        armed=armed,
        outcome=outcome,
        location=location,
        geo_precision=_geo_precision(location),
        places=tuple(places),
        summary=_summary(size, low, armed, actor, outcome, method, crossing, origin, destination),
        confidence=_confidence(draft, window is not None, size, location),
        evidence=tuple(b.evidence)
        + tuple(
            Evidence("incident", m.trigger.text, m.trigger.start, m.trigger.end, m.trigger.rule)
            for m in draft.mentions
            if not m.support
        ),
        mentions=tuple(Span(m.start, m.end) for m in draft.mentions),
    )


_ROUTE = re.compile(r"\b(?:through|via|transit|then|after|before|on\s+to|onward|way\s+to|route|crossed\s+into)\b", re.I)


def _transit(doc: Document, b: _Builder, origin: str | None, destination: str | None) -> list[str]:
    if destination is None:
        return []
    out: list[str] = []
    for s, e in b.spans:
        if not _ROUTE.search(doc.text[s:e]):
            continue
        for hit in gazetteer().find(doc.text, s, e):
            code = hit.value if hit.kind == "country" else (hit.value.country if hit.kind == "place" else None)
            if isinstance(code, str) and code not in (origin, destination) and code not in out:
                out.append(code)
                b.cite("transit_countries", hit, "route_country")
    return out
