"""The extraction pipeline: named, ordered stages from article text to incident records."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import date, datetime

from app.extraction import attributes as attrs
from app.extraction import dates as dates_stage
from app.extraction import detect, lexicon
from app.extraction.assemble import MentionInfo, article_origin, build, group
from app.extraction.dates import DateMention, find_dates_in_spans
from app.extraction.lexicon import GazetteerHit
from app.extraction.prepare import prepare
from app.extraction.types import ArticleInput, Document, ExtractedIncident, Found, Sentence

# Longer texts are cut here: an article of defection news is a few KB, and the cap bounds the work a pathological
# input (megabytes of one run-on "sentence") can cost. Every stage is linear in the text, so the cap is generous.
MAX_TEXT_CHARS = 500_000

_SURROGATE = re.compile(r"[\ud800-\udfff]")  # escapes for re: mypyc refuses surrogates in literals

STAGES = ("prefilter", "prepare", "dates", "detect", "group", "assemble")

# A sentence that goes on about what happened to the people afterwards ("They were flown to Beijing on Monday")
# dates the aftermath, not the escape.
_AFTERMATH = re.compile(
    r"\b(?:flown|flew|sent|deported|repatriated|handed|released|sentenced|charged|tried|trial|court|transferred|"
    r"returned|questioned|interrogated|expelled)\b",
    re.I,
)


def _dates(doc: Document) -> dict[int, list[DateMention]]:
    spans = [(sentence.start, sentence.end) for sentence in doc.sentences]
    found = find_dates_in_spans(doc.text, spans, doc.published, None)
    return {sentence.index: dates for sentence, dates in zip(doc.sentences, found, strict=True)}


def _is_headline(doc: Document, sentence: Sentence, title: str | None) -> bool:
    """Headlines restate the main incident in the present tense; they support it but never found one."""
    text = sentence.text.strip()
    if title and text.lower() == title.strip().lower():
        return True
    return sentence.paragraph <= 2 and len(text) <= 160 and not re.search(r"""[.!?"':;]$""", text)


def _mentions(doc: Document, dates: dict[int, list[DateMention]], title: str | None) -> list[MentionInfo]:
    out: list[MentionInfo] = []
    headlines: list[MentionInfo] = []
    for sentence in doc.sentences:
        if sentence.is_caption:
            continue
        headline = _is_headline(doc, sentence, title)
        sentence_dates = dates[sentence.index]
        segments = detect.segments(doc, sentence, sentence_dates)
        for seg_index, seg in enumerate(segments):
            trigger = detect.find_trigger(doc.text, seg.start, seg.end)
            if trigger is not None and out and _refers_back(doc.text, seg.start, trigger[0].start, sentence_dates):
                trigger = None
            anaphoric = seg_index == 0 and detect.is_anaphoric(doc.text, seg.start, seg.end)
            if trigger is None and not (anaphoric and out and not headline):
                continue  # nothing here to detect or to add: skip the costlier attribute finders
            seg_text = doc.text[seg.start : seg.end]
            seg_dates = [d for d in sentence_dates if seg.start <= d.start < seg.end]
            sizes: list[Found] | None = None
            places: list[GazetteerHit] = []
            if trigger is not None:
                found, strength = trigger
                precise_date = any(
                    not d.reporting and not d.since and d.window and d.window.precision != "year" for d in seg_dates
                )
                # A sentence with a precise date is about one event even when it also carries a generic phrase
                # ("guards shot a man trying to cross last Saturday, under orders to fire on anyone who...").
                clause = detect.clause_around(doc.text, seg.start, seg.end, found.start)
                strength -= detect.generic_penalty(doc.text, clause[0], clause[1]) * (0.5 if precise_date else 1.0)
                strength -= detect.not_escape_penalty(doc.text, clause[0], clause[1])
                if any(not d.reporting and not d.since and d.window for d in seg_dates):
                    strength += 0.1
                if strength + _SPECIFICS_BONUS_BOUND >= detect.MENTION_FLOOR:
                    # Counts and places can still lift it over the floor: only now are they worth finding.
                    sizes, places = _sizes_and_places(doc, seg.start, seg.end)
                    if any(
                        s.value[0] is not None and s.value[0] < 100 and s.rule not in ("singular", "others")
                        for s in sizes
                    ):
                        strength += 0.1
                    if places:
                        strength += 0.05
                if sizes is not None and strength >= detect.MENTION_FLOOR:
                    destinations = attrs.destinations(doc.text, seg.start, seg.end, None)
                    compared = detect.opens_with_compared_person(doc.text, seg.start, seg.end)
                    mention = MentionInfo(
                        start=seg.start,
                        end=seg.end,
                        trigger=found,
                        strength=strength,
                        dates=seg_dates,
                        sizes=sizes,
                        places=places,
                        new_event=compared
                        or detect.is_new_event_cue(doc.text, seg.start, seg.end)
                        or _opens_with_own_date(doc.text, seg.start, seg_dates)
                        or _new_named_person_long_ago(doc, seg.start, seg_dates),
                        anaphoric=anaphoric,
                        destinations=tuple(f.value for f in destinations),
                        goes_back=any(f.rule in attrs.GOING_BACK_RULES for f in destinations),
                        compared=compared,
                        support=headline,
                        headline=headline,
                    )
                    (headlines if headline else out).append(mention)
                    continue
            if anaphoric and out and not headline:
                # "The six were on night duty on the 2nd...": no escape verb, but it speaks of an incident already
                # found, so its specifics (a narrower date, a place, arms) may fill in that incident.
                if sizes is None:
                    sizes, places = _sizes_and_places(doc, seg.start, seg.end)
                out.append(
                    MentionInfo(
                        start=seg.start,
                        end=seg.end,
                        trigger=Found(None, seg.start, seg.start, "anaphora", ""),
                        strength=0.0,
                        dates=[] if _AFTERMATH.search(seg_text) else seg_dates,
                        sizes=sizes,
                        places=places,
                        new_event=False,
                        anaphoric=True,
                        support=True,
                    )
                )
    return out + headlines


# "...the dancer's first appearance in Canada after he defected": a time reckoned from an escape already told.
_REFERENCE_BEFORE = re.compile(r"\b(?:after|since|before|until|once)\s+(?:he|she|they)\s+(?:had\s+)?$", re.I)


def _refers_back(text: str, start: int, trigger_start: int, dates: list[DateMention]) -> bool:
    """Whether the trigger only dates something else by an escape already told, with no date of its own after it."""
    if not _REFERENCE_BEFORE.search(text, max(start, trigger_start - 30), trigger_start):
        return False
    return not any(d.start > trigger_start and not d.reporting for d in dates)


# The most a segment's counts (0.1) and places (0.05) add to a trigger's strength, with room for rounding.
_SPECIFICS_BONUS_BOUND = 0.2


def _sizes_and_places(doc: Document, start: int, end: int) -> tuple[list[Found], list[GazetteerHit]]:
    sizes = attrs.group_sizes(doc.text, start, end)
    places = [p for p in attrs.places(doc.text, start, end) if not _is_dateline(doc.text, start, p)]
    return sizes, places


_NEW_SUBJECT = re.compile(
    r"\s*,?\s*(?:a|an|another|one|two|three|four|five|six|seven|eight|nine|ten|several|some|dozens|more\s+than|"
    r"about|at\s+least|\d+|[A-Z][a-z]+\s+[A-Z])\b"
)


def _opens_with_own_date(text: str, start: int, dates: list[DateMention]) -> bool:
    """'In May, nine North Koreans crossed...', 'Last week, a soldier walked...': a clause that opens with its own
    date and brings in new people tells of another incident."""
    lead = next((d for d in dates if not d.reporting), None)
    if (
        lead is None
        or lead.start - start > 12
        or not re.fullmatch(r"\W*(?:(?:and|but|then|on|in|at)\s+)*", text[start : lead.start], re.I)
    ):
        return False
    return _NEW_SUBJECT.match(text, lead.end) is not None


_NAMED_SUBJECT = re.compile(r"""\s*["']?\s*([A-Z][a-z]+(?:[\s-][A-Z][a-z'-]+){1,2})\s+[a-z]""")


def _new_named_person_long_ago(doc: Document, start: int, dates: list[DateMention]) -> bool:
    """'Rudolf Nureyev broke away from his minders in Paris on June 16, 1961': someone named for the first time,
    as the subject, in an escape dated well before publication, is another incident, told as background."""
    m = _NAMED_SUBJECT.match(doc.text, start)
    if m is None or doc.published is None:
        return False
    name = m.group(1)
    if lexicon.gazetteer().lookup(name) is not None or lexicon.gazetteer().lookup(name.split()[0]) is not None:
        return False  # "North Korea's...", "South Korean troops": places and demonyms, not people
    surname = re.split(r"[\s-]", name)[-1]
    if doc.text.find(surname, 0, start) >= 0:
        return False  # named before: the people already told of
    event = next((d for d in dates if not d.reporting and not d.since and d.window is not None), None)
    if event is None or event.window is None or event.window.end is None:
        return False
    return (doc.published - event.window.end).days > 365


def _is_dateline(text: str, start: int, hit: GazetteerHit) -> bool:
    """'SEOUL, July 29 (Yonhap) --', 'DANDONG/SEOUL -': where the story was filed, not where it happened."""
    return (
        hit.start - start < 40
        and hit.text.isupper()
        and len(hit.text) > 3
        and re.match(r"\s*(?:[,/(]|-|--|\u2014)", text[hit.end : hit.end + 3]) is not None
    )


def _published(value: object) -> date | None:
    """The reference date for relative dates; anything that is not a readable date counts as unknown."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        try:
            return date.fromisoformat(value.strip()[:10])
        except ValueError:
            return None
    return None


def extract(article: ArticleInput) -> list[ExtractedIncident]:
    """Every incident the article describes, in the order it first mentions them.

    Empty, blank or unrelated text gives no incidents; a missing or unreadable publication date leaves relative
    dates unresolved. Evidence spans are offsets into `article.text`, and each evidence text is exactly
    `article.text[start:end]`.
    """
    text = article.text if isinstance(article.text, str) else ""
    if len(text) > MAX_TEXT_CHARS:
        text = text[:MAX_TEXT_CHARS]
    if _SURROGATE.search(text):
        # Lone surrogates (bytes decoded with surrogateescape) cannot be written out; quote them as U+FFFD.
        text = _SURROGATE.sub("\ufffd", text)
    if not text.strip() or not detect.passes_prefilter(text):
        return []
    # Per-document memos start empty, so a document's cost never depends on what was extracted before.
    attrs.clear_caches()
    dates_stage.clear_caches()
    detect.clear_caches()
    lexicon.clear_caches()
    doc = prepare(text, _published(article.published))
    dates = _dates(doc)
    mentions = _mentions(doc, dates, article.title if isinstance(article.title, str) else None)
    if not any(not m.support for m in mentions):
        return []
    drafts = group(mentions, doc.published)
    origin = article_origin(doc, mentions)
    incidents: list[ExtractedIncident] = []
    for draft in drafts:
        incident = build(doc, draft, origin, incidents[-1] if incidents else None)
        if incident is not None:
            incidents.append(incident)
    # The prepared text maps quotes and dashes one for one; evidence quotes the article's own characters.
    return [
        replace(incident, evidence=tuple(replace(e, text=text[e.start : e.end]) for e in incident.evidence))
        for incident in incidents
    ]
