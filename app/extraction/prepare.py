"""Stage 1, text preparation: normalise characters, find paragraphs and sentences, recognise photo captions.

Normalisation maps one character to one character, so every offset into the prepared text is an offset into the
article as stored, and evidence spans point at the article's own words.
"""

from __future__ import annotations

import re
from datetime import date

from app.extraction.lexicon import compile_ci
from app.extraction.types import Document, Sentence

_CHAR_MAP = str.maketrans(
    {
        **dict.fromkeys("‘’‚‛′`´", "'"),
        **dict.fromkeys("“”„‟″«»", '"'),
        **dict.fromkeys("‐‑‒–—―−", "-"),
        **dict.fromkeys("\u00a0\u2007\u2009\u200a\u202f\u2002\u2003\u200b\ufeff\t\r\f\v\u0085", " "),
        **dict.fromkeys("\u2028\u2029", "\n"),
    }
)
# The characters _CHAR_MAP replaces: found by one scan, since str.translate with a mapping looks up every
# character of the text (some 120 us for 3 KB) while an article holds a few dozen of them.
_MAPPED = re.compile("[" + re.escape("".join(chr(c) for c in _CHAR_MAP)) + "]")
# Control characters, and lone surrogates left by a wrong decoding (they cannot even be written out as UTF-8).
_CONTROL = re.compile(r"[\x00-\x08\x0e-\x1f\x7f-\x84\x86-\x9f\ud800-\udfff]")
# Markup left in a text field: tags and comments become spaces of the same length, so offsets still hold.
_MARKUP = re.compile(
    r"<!--.{0,2000}?-->|<(?:script|style)\b[^>]{0,500}>.{0,20000}?</(?:script|style)>|</?[A-Za-z][^<>]{0,500}>|&(?:[a-z]{2,8}|#\d{1,6}|#x[0-9a-f]{1,5});",
    re.I | re.S,
)

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
# A run of terminal punctuation, taken whole (the look-behind keeps a run of a million dots linear), closing quotes
# or brackets, then space and a capital, a digit or an opening quote.
_TERMINAL = re.compile(r"""(?<![.!?])[.!?]++["')\]]*+(?=\s++["'(\[]?[A-Z0-9])""")
MAX_SENTENCE = 1500  # characters; news sentences are far shorter
_LINE_END_OK = re.compile(r"""[.!?:;"')\]]\s*$""")
# Photo captions and credit lines: "Photo: SAMPLE/AFP", "File photo: AP", "(Image: Daily NK)", "REUTERS/Kim Hong-Ji",
# "Getty Images", "© Yonhap", "Pictured: ...". A short paragraph with one is a caption; in a long one only the
# sentence holding it is.
_CREDIT = compile_ci(
    r"""(?:\b(?:photo|image|picture|file\s+photo|photograph|credit|caption|pictured|source|illustration)s?\s*(?::|by\b))"""
    r"""|(?:\.(?:jpe?g|png|gif|webp)\b)|©|\(c\)\s|\bcourtesy\s+of\b"""
    r"""|(?:[-|/]\s*(?:[a-z][a-z'.]*\s+){0,4}/?\s*(?:via\s+)?(?:afp|ap|reuters|getty(?:\s+images)?|epa|"""
    r"""yonhap|kcna|xinhua|shutterstock|nk\s+news|daily\s+nk|uscg|handout)\s*\)?\s*$)"""
    r"""|(?:\b(?:afp|ap|reuters|getty|epa|kcna|yonhap|xinhua)\s*/\s*[a-z])|(?:/\s*(?:afp|ap|reuters|getty|epa|kcna|yonhap)\b)"""
)
_CAPTION_START = re.compile(
    r"""^\W{0,3}(?:photo|image|picture|file\s+photo|caption|pictured|credit)s?\b\s*[:(-]""", re.I
)
_CAPTION_MAX = 400


# Every match of _CREDIT holds one of these marks or ends the text with an agency's name. Most sentences have
# neither, and substring tests are far cheaper than the pattern.
_CREDIT_MARKS = (
    "photo", "image", "picture", "credit", "caption", "source", "illustration", "\u00a9", "(c)", "courtesy",
    ".jp", ".png", ".gif", ".webp", "/",
)  # fmt: skip
_CREDIT_TAILS = (
    "afp", "ap", "reuters", "getty", "images", "epa", "yonhap", "kcna", "xinhua", "shutterstock", "news", "nk",
    "uscg", "handout",
)  # fmt: skip


def _has_credit(text: str) -> bool:
    low = text.lower()
    if len(low) == len(text) and not any(mark in low for mark in _CREDIT_MARKS):
        tail = low.rstrip()
        if tail.endswith(")"):
            tail = tail[:-1].rstrip()
        if not tail.endswith(_CREDIT_TAILS):
            return False
    return _CREDIT.search(text) is not None


def is_caption(paragraph: str) -> bool:
    """A photo caption or credit line, which describes a picture rather than telling the story."""
    text = paragraph.strip()
    if _CAPTION_START.match(text):
        return True
    return len(text) <= _CAPTION_MAX and _has_credit(text)


def _blank(match: re.Match[str]) -> str:
    return " " * (match.end() - match.start())


def _mapped(match: re.Match[str]) -> str:
    return str(_CHAR_MAP[ord(match.group(0))])


def normalise(text: str) -> str:
    """Map typographic quotes, dashes, odd spaces, control characters and markup to plain characters, one for
    one, so that every offset into the result is an offset into `text`."""
    clean = _CONTROL.sub(" ", _MAPPED.sub(_mapped, text))
    if "<" in clean or "&" in clean:
        clean = _MARKUP.sub(_blank, clean)
    return clean


_BLANK_LINE = re.compile(r"\n[ ]*\n\s*")


def _blocks(text: str) -> list[tuple[int, int]]:
    """Blank-line separated blocks as (start, end) offsets, without surrounding white space."""
    out = []
    pos = 0
    for sep in [*_BLANK_LINE.finditer(text), None]:
        end = sep.start() if sep is not None else len(text)
        chunk = text[pos:end]
        stripped = chunk.strip()
        if stripped:
            lead = len(chunk) - len(chunk.lstrip())
            out.append((pos + lead, pos + lead + len(stripped)))
        if sep is not None:
            pos = sep.end()
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


_WORD_BEFORE = re.compile(r"([A-Za-z][A-Za-z.]*)$")


def _ends_with_abbreviation(text: str, dot: int) -> bool:
    """True when the period at `dot` belongs to an abbreviation or an initial, not to the end of a sentence."""
    match = _WORD_BEFORE.search(text, max(0, dot - 40), dot)
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
    out = []
    for s, e in spans:
        out.extend(_bounded(text, s, e))
    return [(s, e) for s, e in out if text[s:e].strip()]


def _bounded(text: str, start: int, end: int) -> list[tuple[int, int]]:
    """A "sentence" longer than any real one (a run-on line without punctuation) is cut at white space every
    MAX_SENTENCE characters or so, which bounds the work any one sentence can cost."""
    if end - start <= MAX_SENTENCE:
        return [(start, end)]
    out = []
    while end - start > MAX_SENTENCE:
        cut = text.rfind(" ", start + MAX_SENTENCE // 2, start + MAX_SENTENCE)
        if cut <= start:
            cut = start + MAX_SENTENCE
        out.append((start, cut))
        start = cut
        while start < end and text[start].isspace():
            start += 1
    if start < end:
        out.append((start, end))
    return out


def _is_credit(sentence: str) -> bool:
    """A sentence that is only a credit ('Photo: SAMPLE/AFP', 'REUTERS/Kim Hong-Ji') inside a longer paragraph."""
    return len(sentence) <= 120 and _has_credit(sentence) and len(sentence.split()) <= 12


def prepare(text: str, published: date | None) -> Document:
    """Stage 1: the prepared document."""
    clean = normalise(text)
    sentences: list[Sentence] = []
    for p_index, (p_start, p_end) in enumerate(_paragraphs(clean)):
        caption = p_end - p_start <= _CAPTION_MAX and is_caption(clean[p_start:p_end])
        for s_start, s_end in _split_sentences(clean, p_start, p_end):
            sentence_text = clean[s_start:s_end]
            sentences.append(
                Sentence(
                    index=len(sentences),
                    paragraph=p_index,
                    start=s_start,
                    end=s_end,
                    text=sentence_text,
                    is_caption=caption or bool(_CAPTION_START.match(sentence_text)) or _is_credit(sentence_text),
                )
            )
    return Document(text=clean, sentences=tuple(sentences), published=published)
