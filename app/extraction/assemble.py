"""Stage 3b, assembly: group mentions of the same event into incidents and settle each field with its evidence."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from app.extraction import attributes as attrs
from app.extraction.dates import DateMention
from app.extraction.lexicon import Crossing, GazetteerHit, gazetteer, lexicon
from app.extraction.types import DateWindow, Document, Evidence, ExtractedIncident, Found, Place, Span

_SIZE_RULE_RANK = {
    "group_of": 0,
    "conjoined": 1,
    "companions": 1,
    "count_noun": 2,
    "the_n": 2,
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
    goes_back: bool = False  # it says they went back home ("swam back to North Korea"): a journey of its own
    compared: bool = False  # it opens with someone set beside the subject ("...since Hwang Jang-yop, who..."): others
    continuation: bool = False  # an anaphoric mention joined despite its date: a later or earlier step of the same
    # journey ("They were picked up on Thursday", "They had crossed into China a year ago"), so its dates are not
    # the incident's

    _event_date: DateMention | None = field(default=None, init=False, repr=False)
    _explicit_size: Found | None = field(default=None, init=False, repr=False)
    _crossing: Crossing | None = field(default=None, init=False, repr=False)

    def __post_init__(self) -> None:
        usable = [d for d in self.dates if not d.reporting and not d.since and d.window is not None]
        unresolved = [d for d in self.dates if not d.reporting and not d.since]
        self._event_date = usable[0] if usable else (unresolved[0] if unresolved else None)
        # Counts far after the trigger are usually other people ("...while four guards opened fire").
        near = [s for s in self.sizes if s.start < self.trigger.end + 40]
        ranked = [s for s in near if _SIZE_RULE_RANK.get(s.rule, 99) <= 4 and s.rule != "the_n"]
        self._explicit_size = min(ranked, key=lambda s: (_SIZE_RULE_RANK[s.rule], s.start)) if ranked else None
        self._crossing = next((hit.value for hit in self.places if hit.kind == "crossing"), None)

    @property
    def event_date(self) -> DateMention | None:
        return None if self.continuation else self._event_date

    @property
    def explicit_size(self) -> Found | None:
        return self._explicit_size

    @property
    def crossing(self) -> Crossing | None:
        return self._crossing


@dataclass(slots=True)
class Draft:
    """Mentions grouped as one incident, with what grouping asks about them kept up to date as they are added (so
    grouping stays linear in the number of mentions)."""

    mentions: list[MentionInfo] = field(default_factory=list)
    _core_window: DateWindow | None = None
    _any_window: DateWindow | None = None
    _destinations: set[str] = field(default_factory=set)
    _unresolved_dates: set[str] = field(default_factory=set)
    _size: int | None = None
    _crossings: set[str] = field(default_factory=set)
    _place_names: set[str] = field(default_factory=set)
    _singles: bool = False  # a core mention counts one person ("a man")...
    _core_counts: bool = False  # ...and whether any core mention gives an explicit count

    def add(self, m: MentionInfo) -> None:
        self.mentions.append(m)
        d = m.event_date
        if d is not None and d.window is not None:
            if self._core_window is None and not m.support:
                self._core_window = d.window
            if self._any_window is None:
                self._any_window = d.window
        if not m.support:
            self._destinations.update(m.destinations)
            if d is not None and d.window is None:
                self._unresolved_dates.add(d.text.lower())
            self._singles = self._singles or any(s.rule == "singular" for s in m.sizes)
            self._core_counts = self._core_counts or m.explicit_size is not None
        if self._size is None and m.explicit_size is not None and m.explicit_size.value[0] is not None:
            self._size = int(m.explicit_size.value[0])
        if m.crossing is not None:
            self._crossings.add(m.crossing.name)
        self._place_names.update(h.value.name for h in m.places if h.kind == "place")

    @property
    def first(self) -> MentionInfo:
        return self.mentions[0]

    def date_window(self) -> DateWindow | None:
        return self._core_window or self._any_window

    def destinations(self) -> set[str]:
        return self._destinations

    def has_unresolved_date(self) -> bool:
        return bool(self._unresolved_dates)

    def size(self) -> int | None:
        return self._size


def _compatible(draft: Draft, m: MentionInfo, *, ignore_date: bool = False) -> tuple[bool, int]:
    """(no conflict, number of agreeing attributes) between a draft incident and a new mention."""
    agree = 0
    d_window, m_date = draft.date_window(), m.event_date
    if m_date is not None and not ignore_date:
        if m_date.window is not None and d_window is not None:
            if not m_date.window.overlaps(d_window):
                return False, 0
            # "Earlier this month" only overlaps "on June 18"; the same day or the same month agrees.
            if m_date.window.precision == d_window.precision:
                agree += 1
        elif m_date.window is None and d_window is None and draft.has_unresolved_date():
            # Two unresolvable date phrases: same words, same event; different words, different events.
            if m_date.text.lower() not in draft._unresolved_dates:
                return False, 0
            agree += 1
        elif (m_date.window is None) != (d_window is None and not draft.has_unresolved_date()):
            pass
    size, d_size = (None if m.anaphoric else m.explicit_size), draft.size()
    if m.destinations and draft.destinations() and not ignore_date:
        if set(m.destinations) & draft.destinations():
            agree += 1
        else:
            return False, 0
    if (
        d_size is None
        and size is not None
        and size.rule in ("group_of", "count_noun")
        and size.value[0] != 1
        and draft._singles
        and not draft._core_counts
    ):
        return False, 0
    if d_size is not None and any(s.rule == "the_n" and s.value[0] == d_size for s in m.sizes):
        # "the two were part of a group of five": the same two people, now placed in a larger group.
        agree += 1
        size = None
    if size is not None and d_size is not None and size.value[0] is not None:
        if size.value[0] == d_size:
            agree += 1
        elif size.rule in ("group_of", "count_noun") and not re.search(r"\bof\s+(?:them|the)\b", size.text, re.I):
            return False, 0
    crossing = m.crossing
    if crossing is not None:
        d_crossings = draft._crossings
        if d_crossings:
            if crossing.name in d_crossings:
                agree += 1
            elif not ({crossing.name} | d_crossings) <= {"Military Demarcation Line", "Joint Security Area"}:
                return False, 0
    agree += sum(1 for h in m.places if h.kind == "place" and h.value.name in draft._place_names)
    return True, agree


def _other_people(m: MentionInfo) -> Found | None:
    """'Two other loggers from the same camp...': people set apart from those already told of, before the trigger
    ('she and four other North Koreans' are counted with her, not set apart)."""
    joined = [s for s in m.sizes if s.rule in ("companions", "companions_min", "conjoined")]
    return next(
        (
            s
            for s in m.sizes
            if s.rule == "others"
            and s.start < m.trigger.end
            and not any(j.start <= s.start and s.end <= j.end for j in joined)
        ),
        None,
    )


def _is_background_date(m: MentionInfo, published: date | None) -> bool:
    """A date well before publication marks an earlier incident told as background."""
    d = m.event_date
    return bool(published and d and d.window and d.window.end and (published - d.window.end).days > 60)


_RECENT_DRAFTS = 12


def group(mentions: list[MentionInfo], published: date | None = None) -> list[Draft]:
    drafts: list[Draft] = []
    last: Draft | None = None
    for m in mentions:
        # Only the most recent incidents are candidates: a story returns to an incident within a few paragraphs,
        # and the bound keeps grouping linear on pathological input.
        scored = [(draft, *_compatible(draft, m)) for draft in drafts[-_RECENT_DRAFTS:]]
        candidates = [(draft, agree) for draft, ok, agree in scored if ok]
        target: Draft | None = None
        if (
            m.anaphoric
            and not m.new_event
            and m.trigger.rule not in _ATTEMPT_RULES  # "He had tried to escape on May 9": an earlier attempt
            and not m.headline
            and last is not None
            and not (m.goes_back and not any(x.goes_back for x in last.mentions))
            and all(d is not last for d, _ in candidates)
            and _compatible(last, m, ignore_date=True)[0]
        ):
            # "The pair ... were picked up on Thursday", "He then travelled south ... and arrived in Seoul last
            # month": the same people, a later (or earlier) step of the same journey.
            m.continuation = True
            target = last
        elif candidates:
            best_agree = max(a for _, a in candidates)
            top = [d for d, a in candidates if a == best_agree]
            if m.headline:
                target = top[0]
            elif m.support:
                target = last if last in top else (top[0] if best_agree > 0 else None)
            elif (
                m.compared
                or (m.new_event and (best_agree == 0 or (best_agree == 1 and _other_people(m) is not None)))
                or (m.event_date is not None and best_agree == 0 and all(d.date_window() for d in top))
                or (
                    # "...on the night of the 3rd" with no publication date, then "in January 2017, about ten
                    # people crossed": a date that can be read beside one that cannot, told afresh, is another time.
                    m.event_date is not None
                    and m.event_date.window is not None
                    and best_agree == 0
                    and not m.anaphoric
                    and all(d.date_window() is None and d.has_unresolved_date() for d in top)
                )
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
        target.add(m)
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

    @property
    def support_spans(self) -> list[tuple[int, int]]:
        return [(m.start, m.end) for m in self.draft.mentions if m.support]

    def each(self, finder: Callable[[str, int, int], list[Any]], *, core: bool = False) -> list[Any]:
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

        # The narrowest window; among equally narrow ones the earliest, since what follows an escape (arrest,
        # questioning, return) comes after it.
        def key(c: DateMention) -> tuple[int, date]:
            if c.window is None:
                return 10**6, date.max
            return c.window.width_days, c.window.start or date.max

        best = min(usable or candidates, key=key)
        return best.window, best

    def size(self) -> tuple[int | None, int | None, int | None]:
        first = self.draft.first
        others = _other_people(first)
        if others is not None:
            # "Two other loggers ... tried to flee": the others are this incident's own people.
            self.cite("group_size", others)
            size, low, high = others.value
            return size, low, high
        core = [m for m in self.draft.mentions if not m.support]
        sizes = [s for m in core for s in m.sizes if s.rule in _SIZE_RULE_RANK]
        # Counts far after the trigger are usually other people ("...that led to the dismissal of several
        # commanders"): the ones near it, when there are any.
        near = [s for m in core for s in m.sizes if s.rule in _SIZE_RULE_RANK and s.start < m.trigger.end + 40]
        sizes = near or sizes
        if not sizes:
            sizes = [s for m in self.draft.mentions for s in m.sizes if s.rule in _SIZE_RULE_RANK]
        if not sizes:
            return None, None, None
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
        if self.article_origin is not None and self.article_origin.rule != "home_places":
            self.cite("origin_country", self.article_origin, "article_origin")
            return str(self.article_origin.value)
        return None

    def crossing(self) -> Crossing | None:
        gaz = gazetteer()
        for m in self.draft.mentions:
            for hit in m.places:
                if hit.kind == "crossing" and not _not_the_crossing(self.doc.text, hit):
                    self.cite("crossing", hit, "gazetteer_crossing")
                    crossing: Crossing = hit.value
                    return crossing
        # A bridge, a checkpoint or a border street stands on its crossing.
        for m in self.draft.mentions:
            for hit in m.places:
                if (
                    hit.kind == "place"
                    and hit.value.kind in ("facility", "border_area")
                    and hit.value.border_river in gaz.crossings
                ):
                    self.cite("crossing", hit, "border_feature_of_place")
                    return gaz.crossings[hit.value.border_river]
        river_words = re.compile(r"\b(?:river|riverbank|waded|wading|on\s+the\s+ice)\b", re.I)
        if any(river_words.search(self.doc.text[s:e]) for s, e in self.spans):
            for m in self.draft.mentions:
                for hit in m.places:
                    if hit.kind == "place" and hit.value.border_river in gaz.crossings:
                        crossing = gaz.crossings[hit.value.border_river]
                        if crossing.kind == "river":
                            self.cite("crossing", hit, "border_river_of_place")
                            return crossing
        return None

    def method(self, crossing: Crossing | None, origin: str | None, destination: str | None) -> str | None:
        lex = lexicon()
        cues = self.each(attrs.methods, core=True)
        by_method: dict[str, Found] = {}
        for cue in cues:
            by_method.setdefault(cue.value, cue)
        if crossing is None:
            strong: tuple[str, ...] = tuple(lex.method_priority)
        elif crossing.method == "river":
            strong = ("air", "other")  # a boat or a swim across a border river is still a river crossing
        else:
            strong = ("air", "swim", "sea", "other")
        for method in lex.method_priority:
            if method in by_method and method in strong:
                self.cite("method", by_method[method])
                return method
        if crossing is not None:
            return crossing.method
        if origin in _KOREAS and destination in _KOREAS and origin != destination:
            return (
                "dmz" if any(re.search(r"\bborder\b", self.doc.text[s:e], re.I) for s, e in self.core_spans) else None
            )
        return self._land_route(origin, destination)

    def _land_route(self, origin: str | None, destination: str | None) -> str | None:
        """A crossing between two countries that share a land border, with nothing saying boat, plane or river."""
        borders = gazetteer().land_borders
        if origin and destination and frozenset((origin, destination)) in borders:
            return "land"
        for s, e in self.spans:
            for m in _FROM_INTO.finditer(self.doc.text, s, e):
                a = attrs.resolve_place_name(m.group("a"), None)[0]
                b = attrs.resolve_place_name(m.group("b"), None)[0]
                if a and b and frozenset((a, b)) in borders:
                    return "land"
        return None

    def destination(self, origin: str | None, crossing: Crossing | None, method: str | None) -> str | None:
        text = self.doc.text
        rank = attrs.DESTINATION_RANK
        found = [(rank.get(f.rule, 2), f) for s, e in self.core_spans for f in attrs.destinations(text, s, e, origin)]
        # What they said they wanted counts wherever it is said ("They want to go to South Korea, police said").
        found += [
            (0, f) for s, e in self.support_spans for f in attrs.destinations(text, s, e, origin) if f.rule == "aim"
        ]
        if found:
            best = min(found, key=lambda r: r[0])[1]
            self.cite("destination_country", best)
            return str(best.value)
        if crossing is not None and origin in crossing.sides:
            others = [c for c in crossing.sides if c != origin]
            if len(others) == 1:
                return others[0]
        for m in self.draft.mentions:
            for hit in m.places:
                if (
                    hit.kind == "place"
                    and hit.value.country
                    and not _same_country(hit.value.country, origin)
                    and hit.value.kind != "sea"
                    and not _DEPARTURE_BEFORE.search(text[max(0, hit.start - 40) : hit.start])
                ):
                    self.cite("destination_country", hit, "foreign_place")
                    return str(hit.value.country)
        if origin == "PRK" and method in ("dmz", "sea", "swim"):
            return "KOR"
        return None

    def actor(self, origin: str | None) -> str | None:
        lex = lexicon()
        text = self.doc.text
        first = self.draft.first
        trigger = first.trigger
        # Who the incident is about: the subject before the first trigger, or - when the trigger is someone acting
        # on them ("guards shot and killed a man who was trying...") - the people inside it.
        region = (first.start, max(trigger.start, first.start))
        if (
            trigger.rule == "caught_trying"
            and not re.search(r"\b(?:was|were|been|being)\s+$", text[max(0, trigger.start - 12) : trigger.start])
            and _ENFORCERS.search(text, max(first.start, trigger.start - 60), trigger.start)
        ):
            region = (trigger.start, trigger.end)

        def usable(found: list[Found]) -> list[Found]:
            return [f for f in found if not attrs.is_agent(text, f.start, f.end, origin)]

        subject = usable(attrs.actors(text, *region))
        specific = [f for f in subject if f.value != "civilian"]
        former = next((f for f in subject if f.rule == "former"), None)
        if former is not None and not specific:
            if any(_DESERTED.search(text, s, e) for s, e in self.spans):
                # "a former commander ... who had deserted": a soldier who left his unit
                self.cite("actor", former, "former_deserter")
                return "soldier"
            self.cite("actor", former)  # "a former gymnast vaulted the fence": what they are now, said outright
            return str(former.value)
        if not specific:
            # "Twelve women who worked at a restaurant", "The four were fishermen", "The 18-year-old student": what
            # the incident's own words and the sentences that go on about the same people say they were.
            pool = [
                f
                for f in usable(attrs.actors(text, first.start, first.end))
                if not attrs.in_object_position(text, f.start)
            ]
            for m in self.draft.mentions[1:]:
                # "The incident raised questions about the readiness of troops": the event, not its people.
                if m.anaphoric and not _EVENT_SUBJECT.match(text, m.start):
                    found = usable(attrs.actors(text, m.start, min(m.end, m.start + 80)))
                    # "The officials had kept the case quiet": the authorities, not the people who crossed.
                    pool += [
                        f
                        for f in found
                        if not attrs.in_object_position(text, f.start) and f.text.lower() != "officials"
                    ]
            specific = [f for f in pool if f.value != "civilian"]
            if not specific and not subject:
                subject = [f for f in usable(self.each(attrs.actors, core=True)) if f.rule in ("person_noun", "former")]
        chosen_pool = specific or subject
        if not chosen_pool:
            # Someone escaped, and nothing says they were a soldier, diplomat, athlete...: a civilian.
            return lex.actor_default
        categories = {f.value for f in chosen_pool}
        for category in lex.actor_priority:
            if category in categories:
                chosen = next(f for f in chosen_pool if f.value == category)
                self.cite("actor", chosen)
                return category
        return None

    def armed(self) -> bool | None:
        found = self.each(attrs.armed)
        # "He was unarmed" settles it even when guards "opened fire with rifles" in the same story.
        negative = [f for f in found if f.value is False]
        chosen = negative[0] if negative else (found[0] if found else None)
        if chosen is not None:
            self.cite("armed", chosen)
            return bool(chosen.value)
        return None

    def outcome(self) -> str:
        lex = lexicon()
        # What became of them is often told in the sentences that follow ("The pair were flown back on Thursday").
        found = self.each(attrs.outcomes)
        attempted = any(m.trigger.rule in _ATTEMPT_RULES for m in self.draft.mentions if not m.support)
        for outcome in lex.outcome_priority:
            match = next((f for f in found if f.value == outcome), None)
            if match is None:
                continue
            if outcome == "caught" and not attempted and any(f.value == "crossed" for f in found):
                # Taken into custody on the far side after crossing: they made it across.
                match = next(f for f in found if f.value == "crossed")
                outcome = "crossed"
            self.cite("outcome", match)
            return outcome
        if not attempted and any(m.trigger.rule in _MADE_IT_RULES for m in self.draft.mentions if not m.support):
            return "crossed"
        return "unknown"

    def location(self) -> Place | None:
        """The most specific place of the incident itself: border places first; national capitals and places
        named as where people were sent back to, or as a government's voice ('Seoul said'), last."""
        lex = lexicon()
        best: tuple[float, int, Place] | None = None
        order = 0
        for m in self.draft.mentions:
            for hit in m.places:
                if hit.kind != "place":
                    continue
                place: Place = hit.value
                score = float(place.rank)
                if place.border_river or place.opposite:
                    score += 2
                before = self.doc.text[max(0, hit.start - 40) : hit.start]
                after = self.doc.text[hit.end : hit.end + 20]
                if lex.location_demotions.search(before) or re.match(r"(?:'s|\s+(?:said|says|announced))\b", after):
                    score -= 5
                if place.name in lex.capitals:
                    score -= 3
                if m.support:
                    score -= 1
                order += 1
                if best is None or (score, -order) > (best[0], best[1]):
                    best = (score, -order, place)
        return best[2] if best else None

    def places(self) -> list[Place]:
        seen: dict[str, Place] = {}
        for m in self.draft.mentions:
            for hit in m.places:
                if hit.kind == "place" and hit.value.name not in seen:
                    seen[hit.value.name] = hit.value
        return list(seen.values())


_ATTEMPT_RULES = frozenset({"caught_trying", "attempt", "as_they_tried"})
_MADE_IT_RULES = frozenset(
    {
        "defect_verb",
        "cross_verb",
        "move_across",
        "swim_verb",
        "fly_verb",
        "fly_aircraft",
        "arrive_verb",
        "climb_fence",
        "escape_verb",
        "flee_verb",
        "desert_verb",
        "asylum",
        "contact_diplomats",
        "hide_in_vehicle",
    }
)
_FROM_INTO = re.compile(
    r"\bfrom\s+(?:the\s+)?(?P<a>[A-Z][\w'.-]+(?:\s+[A-Z][\w'.-]+){0,2})\s+(?:[\w-]+\s+){0,3}?"
    r"(?:into|to|across\s+to)\s+(?:the\s+)?(?:[a-z]+\s+)?(?P<b>[A-Z][\w'.-]+(?:\s+[A-Z][\w'.-]+){0,2})"
)
_DEPARTURE_BEFORE = re.compile(
    r"\b(?:from|out\s+of|left|leaving|took\s+off\s+from|departed|returning\s+from|base\s+near|sent\s+to|"
    r"study\s+in|studied\s+in|went\s+on\s+to)\s+(?:the\s+)?(?:[\w'-]+\s+){0,3}$",
    re.I,
)
_SUCCESSORS = {"SUN": "RUS", "DDR": "DEU"}
_EVENT_SUBJECT = re.compile(
    r"\s*(?:the|this|that)\s+(?:[\w-]+\s+)?(?:incident|defection|crossing|escape|case|episode|breach)\b", re.I
)
_DESERTED = re.compile(r"\b(?:deserted|deserter|deserting|desertion)\b", re.I)
_ENFORCERS = re.compile(
    r"\b(?:guards?|troops|police|patrols?|soldiers|authorities|forces|militia|coast\s*guard|marines)\b", re.I
)


def _same_country(a: str | None, b: str | None) -> bool:
    return a is not None and b is not None and (a == b or _SUCCESSORS.get(a) == b or _SUCCESSORS.get(b) == a)


def _not_the_crossing(text: str, hit: GazetteerHit) -> bool:
    """'Kazakh border guards' are people; 'avoiding the Upper Lars checkpoint' is a crossing not used."""
    after = text[hit.end : hit.end + 25]
    before = text[max(0, hit.start - 25) : hit.start]
    return bool(
        re.match(r"\s*(?:guards?|police|troops|patrols?|officials?|authorities|service)\b", after, re.I)
        or re.search(r"\b(?:avoid\w*|bypass\w*|instead\s+of|away\s+from)\s+(?:the\s+)?$", before, re.I)
    )


def _consistent_route(
    origin: str | None, destination: str | None, crossing: Crossing | None
) -> tuple[str | None, str | None]:
    """Nobody escapes into their own country: when the two agree, the origin is the far side of the crossing. The
    inter-Korean border is crossed from one Korea to the other, whoever crosses it."""
    if crossing is not None and set(crossing.sides) == _KOREAS:
        if destination in _KOREAS:
            return next(c for c in crossing.sides if c != destination), destination
        if origin not in _KOREAS and origin is not None:
            return "KOR", "PRK"  # foreigners who crossed the DMZ went north (U.S. deserters)
    if destination is None or (origin is not None and origin != destination):
        return origin, destination
    if crossing is not None and destination in crossing.sides and len(crossing.sides) == 2:
        return next(c for c in crossing.sides if c != destination), destination
    if destination in _KOREAS:
        return ("KOR" if destination == "PRK" else "PRK"), destination
    return origin, (None if origin == destination else destination)


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
    plural = size != 1
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
        "repatriated": "were sent back after crossing" if plural else "was sent back after crossing",
        "returned": "crossed and later went back, via",
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
            counter[f.value] += 2 if f.rule == "demonym" else 1  # the people themselves count most
            first.setdefault(f.value, f)
    if not counter:
        for f in attrs.origins(doc.text, 0, len(doc.text)):
            counter[f.value] += 1
            first.setdefault(f.value, f)
    if not counter:
        # No demonym and no "from <country>" anywhere ("a source in Ryanggang Province said a woman was caught
        # trying to cross the Yalu near Hyesan"): the country whose towns and provinces the story keeps naming.
        for hit in attrs.places(doc.text, 0, len(doc.text)):
            country = hit.value.country if hit.kind == "place" else None
            if country and hit.value.kind not in ("sea", "country"):
                counter[country] += 1
                first.setdefault(country, Found(country, hit.start, hit.end, "home_places", hit.text))
        if len(counter) > 1 and len(set(counter.values())) == 1:
            return None  # towns of two countries named as often: no telling which side the people started on
    if not counter:
        return None
    code, _ = counter.most_common(1)[0]
    return first[code]


_ONE_PERSON_SUBJECT = re.compile(r"\s*[\"'“]?\s*(He|She)\b")
_THE_RIVER = re.compile(r"\b[Tt]he\s+(?:border\s+|same\s+|frozen\s+)?river\b")


def _river_named_before(b: _Builder, previous: ExtractedIncident | None) -> Crossing | None:
    """'A man made it across the river last week': the river the story has named, when it names no other."""
    if previous is None or previous.crossing is None:
        return None
    named = gazetteer().crossings.get(previous.crossing)
    if named is None or named.kind != "river":
        return None
    for s, e in b.core_spans:
        m = _THE_RIVER.search(b.doc.text, s, e)
        if m is not None:
            b.cite("crossing", Found(named.name, m.start(), m.end(), "river_named_before", m.group(0)))
            return named
    return None


def build(
    doc: Document, draft: Draft, origin_hint: Found | None, previous: ExtractedIncident | None = None
) -> ExtractedIncident | None:
    """The incident a draft describes, or None when nothing ties it to a border (a jail break, a zoo escape)."""
    b = _Builder(doc, draft, origin_hint)
    window, date_mention = b.date()
    if date_mention is not None:
        b.cite("date", date_mention, date_mention.rule)
    size, low, high = b.size()
    origin = stated_origin = b.origin()
    crossing = b.crossing() or _river_named_before(b, previous)
    # Towns named without a demonym place the people only on a border they tried to cross: its side.
    hint = origin_hint if origin_hint is not None and origin_hint.rule == "home_places" else None
    if origin is None and crossing is not None and hint is not None and hint.value in crossing.sides:
        b.cite("origin_country", hint, "article_origin")
        origin = stated_origin = str(hint.value)
    provisional_method = b.method(crossing, origin, None)
    destination = b.destination(origin, crossing, provisional_method)
    origin, destination = _consistent_route(origin, destination, crossing)
    method = b.method(crossing, origin, destination) if provisional_method is None else provisional_method
    if method == "dmz" and (origin or destination) and origin not in _KOREAS and destination not in _KOREAS:
        method = "land"  # fences and barbed wire on another land border: Russia-Norway, Venezuela-Colombia
    if origin is None and destination is None and crossing is None:
        return None
    actor = b.actor(stated_origin)
    armed = b.armed()
    outcome = b.outcome()
    if outcome == "returned" and any(
        e.field == "destination_country" and e.rule in attrs.GOING_BACK_RULES for e in b.evidence
    ):
        outcome = "crossed"  # "crossed back into the North" is this incident's own crossing, not a later return
    places = b.places()
    location = b.location()
    if location is None and crossing is not None:
        location = Place(crossing.name, crossing.kind, None, crossing.lat, crossing.lon, rank=3)
    transit = _transit(doc, b, origin, destination)
    if crossing is None and origin in _KOREAS and destination in _KOREAS and origin != destination:
        # Across the inter-Korean land border on foot is across the MDL; by boat between the Koreas, the NLL.
        default = {"dmz": "Military Demarcation Line", "sea": "Northern Limit Line"}.get(method or "")
        crossing = gazetteer().crossings.get(default or "")
    if previous is not None and draft.first.anaphoric:
        # "He had tried to escape on May 9": the same person as the incident before, by the same route; what is
        # taken from it keeps its evidence.
        inherited: set[str] = set()
        if origin is None and previous.origin_country is not None:
            origin = previous.origin_country
            inherited.add("origin_country")
        if destination is None and previous.destination_country is not None:
            destination = previous.destination_country
            inherited.add("destination_country")
        if method is None and previous.method is not None:
            method = previous.method
            inherited.add("method")
        if size is None and low is None and (previous.group_size is not None or previous.group_size_min is not None):
            alone = _ONE_PERSON_SUBJECT.match(doc.text, draft.first.start)
            if alone is not None and (previous.group_size or 0) != 1:
                # "She fled again in 2021": one of the earlier group, on her own this time.
                size = 1
                b.cite("group_size", Found(1, alone.start(1), alone.end(1), "pronoun", alone.group(1)))
            else:
                size, low, high = previous.group_size, previous.group_size_min, previous.group_size_max
                inherited.add("group_size")
        if actor == lexicon().actor_default and previous.actor not in (None, actor):
            actor = previous.actor
            inherited.add("actor")
        if crossing is None and previous.crossing is not None:
            crossing = gazetteer().crossings.get(previous.crossing)
            inherited.add("crossing")
        b.evidence = [e for e in b.evidence if e.field not in inherited]
        b.evidence += [e for e in previous.evidence if e.field in inherited]
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
            if not m.support and m.trigger.end > m.trigger.start
        ),
        mentions=tuple(Span(m.start, m.end) for m in draft.mentions),
    )


_ROUTE_BEFORE = re.compile(
    r"\b(?:through|via|into|to|across|reached|entered|crossing|crossed|in|on\s+to|onward\s+to|leave\s+for|"
    r"left\s+for|way\s+to)\s+(?:the\s+)?(?:[a-z]+\s+)?$",
    re.I,
)


def _transit(doc: Document, b: _Builder, origin: str | None, destination: str | None) -> list[str]:
    """Countries passed through on the way: named on the route ('through China and Laos into Thailand')."""
    if destination is None:
        return []
    out: list[str] = []
    for s, e in b.spans:
        for hit in attrs.places(doc.text, s, e):
            code = hit.value if hit.kind == "country" else (hit.value.country if hit.kind == "place" else None)
            if not isinstance(code, str) or code in (origin, destination) or code in out:
                continue
            before = doc.text[max(s, hit.start - 30) : hit.start]
            listed = bool(out) and re.search(r"\b(?:and|,)\s+$", before) is not None
            departed = re.search(r"\bfrom\s+(?:the\s+)?$", before) is not None
            if _ROUTE_BEFORE.search(before) or listed or departed:
                out.append(code)
                b.cite("transit_countries", hit, "route_country")
    return out
