"""Stage 2, incident detection: find the sentences (or clauses) that speak of one specific escape.

A trigger (defect, flee, cross the river, go missing at a tournament...) makes a candidate; escape vocabulary around
weak triggers, and specifics (a date, a small count, a place) raise its strength; statistics, trends, habits,
policies and hypotheticals lower it. Candidates above a floor become mentions, which the assembly stage groups into
incidents.
"""

from __future__ import annotations

import itertools
import re
from bisect import bisect_left
from dataclasses import dataclass
from functools import cache, lru_cache

from app.extraction.dates import DateMention
from app.extraction.lexicon import PatternGroup, compile_ci, lexicon
from app.extraction.types import Document, Found, Sentence

MENTION_FLOOR = 0.5

_NON_FINITE_BEFORE = re.compile(
    r"\b(?:in|into|of|for|from|about|before|after|by|against|aid|help|helping|prevent|stop|deter|discourage|"
    r"punish|a|an|the|river|illegal|successful)\s+$",
    re.IGNORECASE,
)
_INFINITIVE_BEFORE = re.compile(r"\bto\s+$", re.IGNORECASE)
_DATE_LEAD = re.compile(r"(?:\b(?:in|on|during|around|and|late|early)\s+)*$", re.IGNORECASE)
_CLAUSE_SPLIT_BEFORE = re.compile(r"(?:,\s*(?:and|but|while)\s+|;\s*|,\s*)$")
_CONJUNCTION = re.compile(r"[,;]\s*(?:and|but|while)\b|;", re.IGNORECASE)
# After a date set off by a bare comma, a clause of its own opens with its subject ("..., in November, a gymnast
# ..."); "..., Gangwon Province, on Tuesday evening after crossing the line" only finishes the clause.
_SUBJECT_AFTER_DATE = re.compile(
    r"\s*,?\s*(?:a|an|another|the|this|that|these|those|one|two|three|four|five|six|seven|eight|nine|ten|eleven|"
    r"twelve|\w+teen|twenty|thirty|forty|fifty|several|some|many|most|both|all|dozens|scores|hundreds|more|\d+|he|"
    r"she|they|it|[A-Z][\w'-]*)\b"
)
_COPULA_BEFORE = re.compile(r"\b(?:was|were|is|are|came)\s+$", re.IGNORECASE)
# After a date that opens a clause of its own comes that clause's subject; "..., Gangwon Province, on Friday and is
# in custody" goes on with the same subject's verb.
_PREDICATE_AFTER_DATE = re.compile(
    r"\s*,?\s*(?:and\s+|but\s+)?(?:is|was|were|are|has|had|have|been|being|did|does|will|would|could|then|\w+ed)\b",
    re.IGNORECASE,
)


@dataclass(frozen=True, slots=True)
class Segment:
    """A sentence, or the part of one that speaks of a separate event."""

    sentence: Sentence
    start: int
    end: int


def passes_prefilter(text: str) -> bool:
    """Cheap check so unrelated text skips every heavy stage: plain substring tests on the lower-cased text."""
    low = text.lower()
    return any(stem in low for stem in lexicon().prefilter)


def segments(doc: Document, sentence: Sentence, dates: list[DateMention]) -> list[Segment]:
    """Split a sentence where a coordinated clause opens with its own date ("..., and in November, a gymnast...")."""
    cuts = []
    for d in dates:
        if d.reporting or d.start <= sentence.start + 3:
            continue
        # Only the few words before the date matter; a bounded window keeps one giant "sentence" linear.
        window_start = max(sentence.start, d.start - 80)
        before = doc.text[window_start : d.start]
        lead = _DATE_LEAD.search(before)
        clause_start = d.start - (len(lead.group(0)) if lead else 0)
        lead_in = doc.text[max(sentence.start, clause_start - 20) : clause_start]
        if _COPULA_BEFORE.search(lead_in):
            continue  # "the last time a soldier defected was in August, when...": the date completes that clause
        if (
            _CLAUSE_SPLIT_BEFORE.search(lead_in)
            and not _PREDICATE_AFTER_DATE.match(doc.text, d.end, min(sentence.end, d.end + 40))
            and (
                _CONJUNCTION.search(doc.text, max(sentence.start, clause_start - 4), d.start)
                or _SUBJECT_AFTER_DATE.match(doc.text, d.end, min(sentence.end, d.end + 40))
            )
        ) or re.match(r",\s*when\b", doc.text[d.end : d.end + 8]):
            cuts.append(clause_start)
    cuts.extend(_cuts_between_dates(doc, sentence, dates))
    cuts.extend(_cuts_after_relative_dates(doc, sentence, dates))
    if any(doc.text.find(word, sentence.start, sentence.end) >= 0 for word in _COMPARED_WORDS):
        for m in _COMPARED_PERSON.finditer(doc.text, sentence.start, sentence.end):
            if find_trigger(doc.text, m.start(), sentence.end) is not None:
                cuts.append(m.start())
    bounds = [sentence.start, *sorted(set(cuts)), sentence.end]
    return [Segment(sentence, s, e) for s, e in itertools.pairwise(bounds) if doc.text[s:e].strip()]


# "the most senior diplomat to defect since Hwang Jang-yop, who walked into a consulate in 1997": a named person
# set beside the subject, whose own escape the rest of the sentence tells.
_COMPARED_PERSON = re.compile(r"\b(?:since|like|than)\s+(?=(?:[A-Z][a-z]+[\s-]){1,2}[A-Z][\w'-]+\s*,)")
_COMPARED_WORDS = ("since", "like", "than")  # the pattern's words: most sentences hold none
_RELATIVE_BEFORE = re.compile(r"\b(?:who|which|that)\s+(?:had\s+|has\s+|have\s+)?\w+", re.IGNORECASE)
_CLAUSE_BOUNDARY = re.compile(r",\s+|\s+(?:who|which|when|after|before|and|but|while)\s+", re.IGNORECASE)


def _cuts_between_dates(doc: Document, sentence: Sentence, dates: list[DateMention]) -> list[int]:
    """'A man who crossed north on Saturday was a defector who had come south in November 2020': two events."""
    event_dates = [d for d in dates if not d.reporting and d.window is not None]
    cuts = []
    for first, second in itertools.pairwise(event_dates):
        assert first.window is not None and second.window is not None
        if first.window.overlaps(second.window):
            continue
        boundaries = list(_CLAUSE_BOUNDARY.finditer(doc.text, first.end, second.start))
        if boundaries:
            cut = boundaries[-1].start()
            if find_trigger(doc.text, cut, second.end + 1) is not None:
                cuts.append(cut)
    return cuts


def _cuts_after_relative_dates(doc: Document, sentence: Sentence, dates: list[DateMention]) -> list[int]:
    """'A defector who crossed into the South in 2020 crossed back on Saturday', 'A woman who defected eight years
    ago has gone back to the North': the date closes a relative clause about the earlier event, and the main verb
    that follows, with an escape of its own, tells of the later one."""
    cuts = []
    for d in dates:
        if d.reporting or d.window is None:
            continue
        if _PREDICATE_AFTER_DATE.match(doc.text, d.end, min(sentence.end, d.end + 40)) is None:
            continue
        relative = _RELATIVE_BEFORE.search(doc.text, max(sentence.start, d.start - 120), d.start)
        # Both clauses tell of an escape ("who took part in a contest last month slipped away" is one event).
        if (
            relative is not None
            and find_trigger(doc.text, relative.start(), d.start) is not None
            and find_trigger(doc.text, d.end, sentence.end) is not None
        ):
            cuts.append(d.end)
    return cuts


def clear_caches() -> None:
    _trigger_index.cache_clear()


@lru_cache(maxsize=8)
def _trigger_index(text: str) -> tuple[list[int], list[tuple[int, int, int, re.Match[str]]]]:
    """Every trigger match over the whole document, sorted by start, as (start, end, pattern index, match): one pass
    per pattern instead of one per sentence."""
    found: list[tuple[int, int, int, re.Match[str]]] = []
    for index, (_rule, pattern, _strength) in enumerate(lexicon().triggers):
        found.extend((m.start(), m.end(), index, m) for m in pattern.finditer(text))
    found.sort(key=lambda f: (f[0], f[2]))
    return [f[0] for f in found], found


_LONGEST_TRIGGER = 300  # no trigger match is longer: how far back a match running into a span can start


def _span_matches(text: str, start: int, end: int) -> list[tuple[int, re.Match[str]]]:
    """(pattern index, match) for the trigger matches inside text[start:end], as a search limited to that span would
    find them: patterns with a document-wide match over the span's edge are searched again inside the span."""
    starts, found = _trigger_index(text)
    i = bisect_left(starts, start)
    j = bisect_left(starts, end, lo=i)
    redo = {f[2] for f in found[i:j] if f[1] > end}
    k = bisect_left(starts, start - _LONGEST_TRIGGER, hi=i)
    redo.update(f[2] for f in found[k:i] if f[1] > start)
    out = [(f[2], f[3]) for f in found[i:j] if f[2] not in redo]
    triggers = lexicon().triggers
    for index in redo:
        out.extend((index, m) for m in triggers[index][1].finditer(text, start, end))
    return out


def find_trigger(text: str, start: int, end: int) -> tuple[Found, float] | None:
    """The strongest trigger in text[start:end] with its strength, after the context and form checks (on a tie, the
    rule listed first in the lexicon, then the earliest match)."""
    lex = lexicon()
    has_context = lex.escape_context
    best: tuple[Found, float] | None = None
    triggers = lex.triggers
    for index, m in sorted(_span_matches(text, start, end), key=lambda f: (f[0], f[1].start())):
        rule, _pattern, strength = triggers[index]
        s, e = m.span()
        value = strength
        before = text[max(start, s - 40) : s]
        if strength < 0.7 and not (has_context.search(text, start, s) or has_context.search(text, e, end)):
            continue
        if rule not in ("caught_trying", "attempt") and (
            _NON_FINITE_BEFORE.search(before) or _INFINITIVE_BEFORE.search(before) or before.endswith("-")
        ):
            value *= 0.45  # "in crossing", "to cross", "river-crossing defections"
        if lex.relative_clause.search(before):
            value *= 0.75
        if best is None or value > best[1]:
            best = (Found(text[s:e], s, e, rule, text[s:e]), value)
    return best


_CLAUSE_EDGE = re.compile(
    r"[;:]\s+|,\s+(?:and|but|while|whereas)\s+|\s+and\s+(?=(?:in|on|at)\s+(?:other|some|many)\b)", re.I
)


def clause_around(text: str, start: int, end: int, position: int) -> tuple[int, int]:
    """The clause of text[start:end] that holds `position` ('In 2007 six players disappeared in Tanzania | and in
    other cases one or two would go missing')."""
    left, right = start, end
    for m in _CLAUSE_EDGE.finditer(text, start, end):
        if m.end() <= position:
            left = m.end()
        elif m.start() >= position:
            right = m.start()
            break
    return left, right


@cache
def _generic_group() -> PatternGroup:
    return PatternGroup([pattern for pattern, _weight in lexicon().generic_cues])


def generic_penalty(text: str, start: int = 0, end: int | None = None) -> float:
    """How much text[start:end] reads as statistics, a trend, a habit, a policy or a hypothetical (0 to 1)."""
    end = len(text) if end is None else end
    group = _generic_group()
    indexed_may_match = group.may_match(text, start, end)
    clause: str | None = None
    penalty = 0.0
    for pattern, weight in lexicon().generic_cues:
        if group.is_indexed(pattern):
            if not indexed_may_match:
                continue
            # Searched in place, so the document's word index narrows it (a word-led cue finds the same there).
            found = pattern.search(text, start, end)
        else:
            # '^' and look-behinds see the clause's own start only when it is cut out.
            clause = text[start:end] if clause is None else clause
            found = pattern.search(clause)
        if found is not None:
            penalty += weight
    return min(penalty, 1.0)


def not_escape_penalty(text: str, start: int, end: int) -> float:
    """How much text[start:end] says a crossing was no escape: by mistake, for a moment (0 to 1)."""
    penalty = sum(weight for pattern, weight in lexicon().not_escape_cues if pattern.search(text, start, end))
    return min(penalty, 1.0)


def opens_with_compared_person(text: str, start: int, end: int) -> bool:
    """'...since Hwang Jang-yop, a party secretary, walked into the consulate': a segment cut where the sentence
    sets a named person beside its subject."""
    return _COMPARED_PERSON.match(text, start, end) is not None


def is_new_event_cue(text: str, start: int = 0, end: int | None = None) -> bool:
    """Whether text[start:end] says it tells of another event ('In a separate case', 'two other soldiers who...').
    Searched in place, so the document's word index narrows the search."""
    end = len(text) if end is None else end
    m = lexicon().new_event_cues.search(text, start, end)
    if m is None:
        return False
    # "He is the most senior diplomat to defect": a superlative about the people already told of (unless it goes
    # on to the one before him: "...to defect since the acting ambassador to Kuwait fled in 2019").
    return not (
        _PRONOUN_SUBJECT.match(text, start, end)
        and _SUPERLATIVE.match(m.group(0))
        and _SINCE.search(text, m.end(), end) is None
    )


_SINCE = re.compile(r"\bsince\b", re.I)
_PRONOUN_SUBJECT = re.compile(r"\s*[\"']?\s*(?:he|she|they)\s+(?:is|was|are|were|became|has\s+become)\b", re.I)
_SUPERLATIVE = re.compile(r"the\s+(?:most\s|\w+est\b|highest|first|last|latest|only)", re.I)


# Case-insensitive matching takes long s and dotless i for s and i; the dotted capital I lower-cases to i and a
# combining dot.
_FOLD_FOR_GATE = str.maketrans({"\u017f": "s", "\u0131": "i", "\u0307": None})
# The verbs of the object pattern below (its match needs one of them).
_OBJECT_VERBS = (
    "arrested", "detained", "caught", "captured", "found", "picked", "spotted", "rescued", "intercepted", "stopped",
    "escorted",
)  # fmt: skip


@cache
def _anaphora_patterns() -> tuple[re.Pattern[str], re.Pattern[str]]:
    lex = lexicon()
    words = [*lex.person_nouns, *lex.group_nouns, *(w for w in lex.number_words if len(w) > 2)]
    nouns = "|".join(re.escape(w) for w in sorted(words, key=len, reverse=True))
    # Run over the lower-cased text (`compile_ci`): Python's `re` is slow on a long alternation with IGNORECASE.
    subject = compile_ci(
        rf"""^\s*["']?\s*(?:the|these|those|all|both|this)\s+(?:[\w'-]+\s+){{0,3}}?(?P<noun>{nouns}|\d{{1,3}}|\d+-year-old|"""
        rf"""group|pair|boat|vessel|escape|defection|incident|crossing)\b"""
    )
    obj = re.compile(
        r"^[^.;]{0,80}?\b(?:arrested|detained|caught|captured|found|picked\s+up|spotted|rescued|intercepted|stopped|"
        r"escorted)\s+(?:them|him|her|the\s+(?:[\w-]+\s+){0,2}?(?:group|men|women|family|pair|couple|boat|vessel|"
        r"ship|crew|fishermen|soldiers?|man|woman|defectors?|people|individuals?))\b",
        re.I,
    )
    return subject, obj


def is_anaphoric(text: str, start: int = 0, end: int | None = None) -> bool:
    """Whether text[start:end] goes on about people already introduced: 'They...', 'The four were fishermen',
    'The 22-year-old...', 'Lao police arrested them on May 10'."""
    end = len(text) if end is None else end
    head = text[start : min(end, start + 200)]
    if lexicon().anaphora.search(head) is not None:
        return True
    subject, obj = _anaphora_patterns()
    m = subject.match(head)
    if m is not None:
        first = head[m.start("noun")]  # as written: the match itself may be of the lower-cased text
        if first.islower() or first.isdigit():
            return True
    # The object pattern tries its verbs at each of its first 80 characters; most heads hold none of them. The
    # folded head holds a verb wherever the case-insensitive pattern could match one.
    low = head.lower().translate(_FOLD_FOR_GATE)
    return any(verb in low for verb in _OBJECT_VERBS) and obj.match(head) is not None
