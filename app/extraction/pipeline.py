"""The extraction pipeline: named, ordered stages from article text to incident records."""

from __future__ import annotations

import re

from app.extraction import attributes as attrs
from app.extraction import detect
from app.extraction.assemble import MentionInfo, article_origin, build, group
from app.extraction.dates import DateMention, find_dates
from app.extraction.prepare import prepare
from app.extraction.types import ArticleInput, DateWindow, Document, ExtractedIncident, Found, Sentence

# Longer texts are cut here: an article of defection news is a few KB, and the cap keeps a pathological input
# (megabytes of one run-on "sentence") from costing more than a bounded amount of work.
MAX_TEXT_CHARS = 200_000

STAGES = ("prefilter", "prepare", "dates", "detect", "group", "assemble")


def _dates(doc: Document) -> dict[int, list[DateMention]]:
    by_sentence: dict[int, list[DateMention]] = {}
    previous: DateWindow | None = None
    for sentence in doc.sentences:
        found = find_dates(doc.text, sentence.start, sentence.end, doc.published, previous)
        by_sentence[sentence.index] = found
        for d in found:
            if d.window is not None and not d.reporting:
                previous = d.window
    return by_sentence


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
            seg_text = doc.text[seg.start : seg.end]
            seg_dates = [d for d in sentence_dates if seg.start <= d.start < seg.end]
            trigger = detect.find_trigger(doc.text, seg.start, seg.end)
            sizes = attrs.group_sizes(doc.text, seg.start, seg.end)
            places = attrs.places(doc.text, seg.start, seg.end)
            anaphoric = seg_index == 0 and detect.is_anaphoric(seg_text)
            if trigger is not None:
                found, strength = trigger
                precise_date = any(
                    not d.reporting and not d.since and d.window and d.window.precision != "year" for d in seg_dates
                )
                # A sentence with a precise date is about one event even when it also carries a generic phrase
                # ("guards shot a man trying to cross last Saturday, under orders to fire on anyone who...").
                strength -= detect.generic_penalty(seg_text) * (0.5 if precise_date else 1.0)
                if any(not d.reporting and not d.since and d.window for d in seg_dates):
                    strength += 0.1
                if any(s.value[0] is not None and s.value[0] < 100 and s.rule != "singular" for s in sizes):
                    strength += 0.1
                if places:
                    strength += 0.05
                if strength >= detect.MENTION_FLOOR:
                    mention = MentionInfo(
                        start=seg.start,
                        end=seg.end,
                        trigger=found,
                        strength=strength,
                        dates=seg_dates,
                        sizes=sizes,
                        places=places,
                        new_event=detect.is_new_event_cue(seg_text),
                        anaphoric=anaphoric,
                        destinations=tuple(f.value for f in attrs.destinations(doc.text, seg.start, seg.end, None)),
                        support=headline,
                        headline=headline,
                    )
                    (headlines if headline else out).append(mention)
                    continue
            if anaphoric and out and not headline:
                # "The six were on night duty on the 2nd...": no escape verb, but it speaks of an incident already
                # found, so its specifics (a narrower date, a place, arms) may fill in that incident.
                out.append(
                    MentionInfo(
                        start=seg.start,
                        end=seg.end,
                        trigger=Found(None, seg.start, seg.start, "anaphora", ""),
                        strength=0.0,
                        dates=seg_dates,
                        sizes=sizes,
                        places=places,
                        new_event=False,
                        anaphoric=True,
                        support=True,
                    )
                )
    return out + headlines


def extract(article: ArticleInput) -> list[ExtractedIncident]:
    """Every incident the article describes, in the order it first mentions them."""
    text = article.text or ""
    if len(text) > MAX_TEXT_CHARS:
        text = text[:MAX_TEXT_CHARS]
    if not text.strip() or not detect.passes_prefilter(text):
        return []
    doc = prepare(text, article.published)
    dates = _dates(doc)
    mentions = _mentions(doc, dates, article.title)
    if not any(not m.support for m in mentions):
        return []
    drafts = group(mentions, doc.published)
    origin = article_origin(doc, mentions)
    return [build(doc, draft, origin) for draft in drafts]
