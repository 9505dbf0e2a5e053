"""Stage 1, text preparation: normalise characters, find paragraphs and sentences, recognise photo captions.

Normalisation maps one character to one character, so every offset into the prepared text is an offset into the
article as stored, and evidence spans point at the article's own words.
"""

from __future__ import annotations

import re
from datetime import date

from app.extraction.types import Document, Sentence

_CHAR_MAP = str.maketrans(
    {
        **dict.fromkeys("‘’‚‛′`´", "'"),
        **dict.fromkeys("“”„‟″«»", '"'),
        **dict.fromkeys("‐‑‒–—―−", "-"),
        **dict.fromkeys("\u00a0\u2007\u2009\u200a\u202f\u2002\u2003\u200b\ufeff\t\r\f\v", " "),
    }
)
_CONTROL = re.compile(r"[\x00-\x08\x0e-\x1f\x7f]")

# Abbreviations after which a period does not end a sentence.
_ABBREVIATIONS = frozenset(
    [
        "mr",
        "mrs",
        "ms",
        "dr",
        "prof",
        "lt",
        "capt",
        "col",
        "gen",
        "sgt",
        "maj",
        "cpl",
        "pvt",
        "adm",
        "cmdr",
        "rev",
        "st",
        "sen",
        "rep",
        "gov",
        "pres",
        "jr",
        "sr",
        "no",
        "nos",
        "vol",
        "fig",
        "jan",
        "feb",
        "mar",
        "apr",
        "jun",
        "jul",
        "aug",
        "sep",
        "sept",
        "oct",
        "nov",
        "dec",
        "mon",
        "tue",
        "tues",
        "wed",
        "thu",
        "thur",
        "thurs",
        "fri",
        "sat",
        "sun",
        "inc",
        "ltd",
        "co",
        "corp",
        "dept",
        "est",
        "approx",
        "vs",
        "etc",
        "al",
        "univ",
        "ave",
        "blvd",
        "mt",
        "ft",
        "fla",
        "calif",
        "mass",
        "wash",
        "penn",
        "ariz",
        "colo",
        "conn",
    ]
)
_TERMINAL = re.compile(r"""[.!?]+["')\]]*(?=\s+["'(\[]?[A-Z0-9])""")
_LINE_END_OK = re.compile(r"""[.!?:;"')\]]\s*$""")
_CAPTION = re.compile(
    r"""(?:\b(?:photo|image|picture|file\s+photo|photograph|credit)s?\s*:)"""
    r"""|(?:\.(?:jpe?g|png|gif|webp)\b)"""
    r"""|(?:[-|/]\s*(?:[A-Z][A-Za-z'.]*\s+){0,4}/?\s*(?:via\s+)?(?:AFP|AP|REUTERS|Reuters|Getty(?:\s+Images)?|EPA|"""
    r"""Yonhap|KCNA|Xinhua|Shutterstock|NK\s+News|Daily\s+NK)\s*$)"""
    r"""|(?:/\s*(?:AFP|AP|REUTERS|Getty|EPA|KCNA|Yonhap)\b)"""
)


def normalise(text: str) -> str:
    """Map typographic quotes, dashes, odd spaces and control characters to plain ones, one for one."""
    return _CONTROL.sub(" ", text.translate(_CHAR_MAP))


def _blocks(text: str) -> list[tuple[int, int]]:
    """Blank-line separated blocks as (start, end) offsets."""
    out = []
    for match in re.finditer(r"\S(?:.*?\S)?(?=\n[ ]*\n|\s*$)", text, flags=re.DOTALL):
        out.append((match.start(), match.end()))
    return out


def _lines(text: str, start: int, end: int) -> list[tuple[int, int]]:
    out = []
    pos = start
    for line in text[start:end].split("\n"):
        stripped = line.strip()
        if stripped:
            lead = len(line) - len(line.lstrip())
            out.append((pos + lead, pos + lead + len(stripped)))
        pos += len(line) + 1
    return out


def _is_hard_wrapped(text: str, lines: list[tuple[int, int]]) -> bool:
    """A block whose lines mostly stop mid-sentence was wrapped by the source, not split into paragraphs."""
    if len(lines) < 2:
        return False
    inner = lines[:-1]
    open_ended = [ln for ln in inner if not _LINE_END_OK.search(text[ln[0] : ln[1]])]
    long_enough = [ln for ln in open_ended if ln[1] - ln[0] > 20]
    return len(open_ended) * 2 >= len(inner) and len(long_enough) * 2 >= len(open_ended) and bool(long_enough)


def _paragraphs(text: str) -> list[tuple[int, int]]:
    paragraphs: list[tuple[int, int]] = []
    for start, end in _blocks(text):
        lines = _lines(text, start, end)
        if _is_hard_wrapped(text, lines):
            paragraphs.append((lines[0][0], lines[-1][1]))
        else:
            paragraphs.extend(lines)
    return paragraphs


def _ends_with_abbreviation(text: str, dot: int) -> bool:
    """True when the period at `dot` belongs to an abbreviation or an initial, not to the end of a sentence."""
    match = re.search(r"([A-Za-z][A-Za-z.]*)$", text[:dot])
    if not match:
        return False
    word = match.group(1)
    bare = word.rstrip(".").lower()
    if bare in ("a.m", "p.m"):  # "at 3:15 p.m. When one of..." ends a sentence
        return False
    if "." in word.rstrip("."):  # U.S., U.N., D.P.R.K.
        return True
    if len(bare) == 1 and word[0].isupper():  # an initial
        return True
    return bare in _ABBREVIATIONS


def _split_sentences(text: str, start: int, end: int) -> list[tuple[int, int]]:
    spans = []
    cursor = start
    for match in _TERMINAL.finditer(text, start, end):
        dot = match.start()
        if text[dot] == "." and _ends_with_abbreviation(text, dot):
            continue
        spans.append((cursor, match.end()))
        cursor = match.end()
        while cursor < end and text[cursor].isspace():
            cursor += 1
    if cursor < end:
        spans.append((cursor, end))
    return [(s, e) for s, e in spans if text[s:e].strip()]


def prepare(text: str, published: date | None) -> Document:
    """Stage 1: the prepared document."""
    clean = normalise(text)
    sentences: list[Sentence] = []
    for p_index, (p_start, p_end) in enumerate(_paragraphs(clean)):
        paragraph = clean[p_start:p_end]
        caption = bool(_CAPTION.search(paragraph))
        for s_start, s_end in _split_sentences(clean, p_start, p_end):
            sentences.append(
                Sentence(
                    index=len(sentences),
                    paragraph=p_index,
                    start=s_start,
                    end=s_end,
                    text=clean[s_start:s_end],
                    is_caption=caption,
                )
            )
    return Document(text=clean, sentences=tuple(sentences), published=published)
