"""Stage 2, incident detection: find the sentences (or clauses) that speak of one specific escape.

A trigger (defect, flee, cross the river, go missing at a tournament...) makes a candidate; escape vocabulary around
weak triggers, and specifics (a date, a small count, a place) raise its strength; statistics, trends, habits,
policies and hypotheticals lower it. Candidates above a floor become mentions, which the assembly stage groups into
incidents.
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass

from app.extraction.dates import DateMention
from app.extraction.lexicon import lexicon
from app.extraction.types import Document, Found, Sentence

MENTION_FLOOR = 0.5

_NON_FINITE_BEFORE = re.compile(
    r"\b(?:in|of|for|from|about|before|after|by|against|aid|help|helping|prevent|stop|deter|discourage|"
    r"punish|a|the|river|illegal|successful)\s+$",
    re.IGNORECASE,
)
_INFINITIVE_BEFORE = re.compile(r"\bto\s+$", re.IGNORECASE)
_CLAUSE_SPLIT_BEFORE = re.compile(r"(?:,\s*(?:and|but|while)\s+|;\s*|,\s*)$")


@dataclass(frozen=True, slots=True)
class Segment:
    """A sentence, or the part of one that speaks of a separate event."""

    sentence: Sentence
    start: int
    end: int


def passes_prefilter(text: str) -> bool:
    """Cheap check so unrelated text skips every heavy stage."""
    return lexicon().prefilter.search(text) is not None


def segments(doc: Document, sentence: Sentence, dates: list[DateMention]) -> list[Segment]:
    """Split a sentence where a coordinated clause opens with its own date ("..., and in November, a gymnast...")."""
    cuts = []
    for d in dates:
        if d.reporting or d.start <= sentence.start + 3:
            continue
        before = doc.text[sentence.start : d.start]
        lead = re.search(r"(?:\b(?:in|on|during|around|and|late|early)\s+)*$", before, re.IGNORECASE)
        clause_start = d.start - (len(lead.group(0)) if lead else 0)
        if _CLAUSE_SPLIT_BEFORE.search(doc.text[sentence.start : clause_start]) or re.match(
            r",\s*when\b", doc.text[d.end : d.end + 8]
        ):
            cuts.append(clause_start)
    cuts.extend(_cuts_between_dates(doc, sentence, dates))
    bounds = [sentence.start, *sorted(set(cuts)), sentence.end]
    return [Segment(sentence, s, e) for s, e in itertools.pairwise(bounds) if doc.text[s:e].strip()]


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


def find_trigger(text: str, start: int, end: int) -> tuple[Found, float] | None:
    """The strongest trigger in text[start:end] with its strength, after the context and form checks."""
    lex = lexicon()
    span_text = text[start:end]
    has_context = lex.escape_context
    best: tuple[Found, float] | None = None
    for rule, pattern, strength in lex.triggers:
        for m in pattern.finditer(text, start, end):
            s, e = m.span()
            value = strength
            before = text[max(start, s - 40) : s]
            if strength < 0.7:
                rest = span_text[: s - start] + " " + span_text[e - start :]
                if not has_context.search(rest):
                    continue
            if rule not in ("caught_trying", "attempt") and (
                _NON_FINITE_BEFORE.search(before) or _INFINITIVE_BEFORE.search(before)
            ):
                value *= 0.45
            if lex.relative_clause.search(before):
                value *= 0.75
            if best is None or value > best[1]:
                best = (Found(m.group(0), s, e, rule, m.group(0)), value)
    return best


def generic_penalty(text: str) -> float:
    penalty = sum(weight for pattern, weight in lexicon().generic_cues if pattern.search(text))
    return min(penalty, 1.0)


def is_new_event_cue(text: str) -> bool:
    return lexicon().new_event_cues.search(text) is not None


def is_anaphoric(text: str) -> bool:
    return lexicon().anaphora.search(text) is not None
