"""The data the extractor reads: lexicons, the gazetteer, crossings and demonyms, loaded once from data files."""

from __future__ import annotations

import json
import re
import re._constants as _C
import re._parser as _parser
import sys
from bisect import bisect_left, bisect_right
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from functools import cache, lru_cache
from importlib import resources
from itertools import accumulate
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


def clear_caches() -> None:
    """Forget per-document memos (the lower-cased text and the token list)."""
    lowered.cache_clear()
    _LAST_LOWERED[0] = (None, None)
    _WORD_INDEXES.clear()
    _document_tokens.cache_clear()
    _document_hits.cache_clear()


# Characters whose case-insensitive matches go beyond what lower-casing gives (the standard library's own table:
# "i" also matches dotless i, "σ" also "ς"). Without it, only ASCII letters are taken as safe.
try:
    from re._casefix import _EXTRA_CASES
except ImportError:  # pragma: no cover - CPython 3.11+ has it
    _EXTRA_CASES = {c: () for c in range(0x80, 0x110000) if chr(c).isalpha()}
# Besides upper case, a case-insensitive ASCII letter matches these two, which lower-casing leaves alone.
_FOLD_EXTRA = str.maketrans({"\u017f": "s", "\u0131": "i"})  # long s, dotless i


def _folded(text: str) -> str | None:
    low = text.lower()
    if len(low) != len(text):
        return None
    if "\u017f" in low or "\u0131" in low:
        low = low.translate(_FOLD_EXTRA)
    return low


@lru_cache(maxsize=8)
def lowered(text: str) -> str | None:
    """The text in lower case (long s and dotless i as s and i, as case-insensitive matching of ASCII letters
    takes them) when that keeps every offset (it does for all but a few characters, such as the dotted capital I),
    else None."""
    return _folded(text)


# The last text a CasefoldPattern ran on and its `lowered` form: a one-entry memo checked by identity, cheaper than
# the lru_cache lookup on every call. The pair is stored and read as one tuple, so a thread extracting another
# document (the API extracts in a thread pool) can never see one text with the other's lower-cased form.
_LAST_LOWERED: list[tuple[str | None, str | None]] = [(None, None)]

# Below this length a target is a sentence or a phrase, not a document: the pattern scans it as fast as the
# candidates could be looked up, and a memo keyed on it would only churn.
_DOCUMENT_CHARS = 400
# A document's stages run on a few long strings (the prepared text, the original), so the per-document memos hold
# several; str keys hash once.
_MEMO_DOCUMENTS = 8
_WORD_RUN = re.compile(r"\w+")
_KEY_CHARS = 3  # words are indexed by their first three characters


@dataclass(slots=True)
class _WordIndex:
    """Where the words of one lower-cased document start, by their first characters."""

    by_key: dict[str, list[int]]  # first `_KEY_CHARS` characters (the whole word if shorter) -> sorted offsets
    keys: frozenset[str]  # by_key's keys: a pattern's openings meet them in one set intersection, in C
    _by_first: dict[str, list[int]] | None = None

    def by_first(self) -> dict[str, list[int]]:
        """First character -> sorted offsets, made when a pattern first needs it."""
        if self._by_first is None:
            merged: dict[str, list[int]] = {}
            for key, offsets in self.by_key.items():
                merged.setdefault(key[0], []).extend(offsets)
            for offsets in merged.values():
                offsets.sort()
            self._by_first = merged
        return self._by_first


_WORD_INDEXES: dict[str, _WordIndex] = {}
_WORD_SPLIT = re.compile(r"(\w+)")


def _word_index(low: str) -> _WordIndex:
    index = _WORD_INDEXES.get(low)
    if index is None:
        # Split and summed lengths find every word's offset in C; only the grouping by key is a Python loop.
        parts = _WORD_SPLIT.split(low)
        offsets = list(accumulate(map(len, parts), initial=0))
        by_key: dict[str, list[int]] = {}
        for word, at in zip(parts[1::2], offsets[1 : len(parts) : 2], strict=True):
            key = word[:_KEY_CHARS]
            found = by_key.get(key)
            if found is None:
                by_key[key] = [at]
            else:
                found.append(at)
        if len(_WORD_INDEXES) >= _MEMO_DOCUMENTS:
            _WORD_INDEXES.clear()
        index = _WORD_INDEXES[low] = _WordIndex(by_key, frozenset(by_key))
    return index


def _word_led(items: list[Any]) -> bool:
    """Whether the parsed pattern `items` opens with a word boundary on every path (`\\b...`, `(?:\\b...|\\b...)`)."""
    if not items:
        return False
    op, av = items[0]
    if op is _C.AT:
        return av is _C.AT_BOUNDARY
    if op is _C.SUBPATTERN:
        return _word_led(list(av[3]))
    if op is _C.BRANCH:
        return all(_word_led(list(branch)) for branch in av[1])
    return False


@dataclass(frozen=True, slots=True)
class _Openings:
    """The words a pattern's matches can start: by their first `_KEY_CHARS` characters, or for literals with fewer
    leading word characters ("as", "a-"), by their first character; `digits`: also any word opening with a decimal
    digit (a pattern that opens with `\\d`)."""

    keys: frozenset[str]
    firsts: frozenset[str]
    digits: bool = False


# In a set of openings, stands for "any decimal digit" (`\d`, `[0-9]`): no literal holds NUL.
_ANY_DIGIT = "\x00"
# After a literal in a set of openings: the word ends there (no literal holds this control character either).
_WORD_END = "\x01"
_DIGIT_CHARS = frozenset("0123456789")


def _digits_only(av: Any) -> bool:
    """Whether the character class `av` (an IN's items) matches decimal digits only."""
    for op, value in av:
        if op is _C.CATEGORY and value is _C.CATEGORY_DIGIT:
            continue
        if op is _C.RANGE and value[0] >= ord("0") and value[1] <= ord("9"):
            continue
        if op is _C.LITERAL and chr(value) in _DIGIT_CHARS:
            continue
        return False
    return bool(av)


def _ends_word(item: Any) -> bool:
    """Whether the parsed item, right after a word character, means the word ends there (`\\b`, `\\s+`, `,`)."""
    op, av = item
    if op is _C.AT:
        return av is _C.AT_BOUNDARY
    if op is _C.LITERAL:
        return _WORD_RUN.match(chr(av)) is None
    if op is _C.IN:
        return bool(av) and all(
            (kind is _C.CATEGORY and value in (_C.CATEGORY_SPACE, _C.CATEGORY_NOT_WORD))
            or (kind is _C.LITERAL and _WORD_RUN.match(chr(value)) is None)
            for kind, value in av
        )
    if op in (_C.MAX_REPEAT, _C.MIN_REPEAT):
        body = list(av[2])
        return av[0] >= 1 and bool(body) and _ends_word(body[0])
    return False


def _ends_word_in(sequence: tuple[Any, ...]) -> bool:
    """Whether the parsed items, right after a word character, mean the word ends there, an optional part (taken
    or left out) included. At the pattern's end the text's word may go on."""
    if not sequence:
        return False
    op, av = sequence[0]
    if op in (_C.MAX_REPEAT, _C.MIN_REPEAT) and av[0] == 0:
        body = list(av[2])
        return bool(body) and _ends_word(body[0]) and _ends_word_in(sequence[1:])
    return _ends_word(sequence[0])


def _prefixes(items: list[Any], *, extended: bool = False, follow: tuple[Any, ...] = ()) -> set[str] | None:
    """Literal strings one of which every match of the parsed pattern `items` starts with, or None if unknown.
    `extended` (for the word index) also looks through optional parts (`(?:early\\s+)?may` opens with "early" or
    "may") and digit classes (`_ANY_DIGIT`), and marks a short literal after which the word ends (`\\b(?:a|an)\\s+`:
    the whole word "a" or "an") with `_WORD_END`; `follow` is what comes after `items` in the enclosing pattern."""
    i = 0
    while i < len(items) and items[i][0] in (_C.AT, _C.ASSERT, _C.ASSERT_NOT):
        i += 1
    if i >= len(items):
        return None
    op, av = items[i]
    if op is _C.LITERAL:
        literal = ""
        while i < len(items) and items[i][0] is _C.LITERAL:
            literal += chr(items[i][1])
            i += 1
        if i < len(items) and len(literal) < _KEY_CHARS:
            rest = _prefixes(items[i:], extended=extended, follow=follow)
            if rest:
                return {literal + r for r in rest}
        if extended and len(literal) < _KEY_CHARS and _ends_word_in((*items[i:], *follow)):
            return {literal + _WORD_END}
        return {literal}
    if op is _C.IN:
        return {_ANY_DIGIT} if extended and _digits_only(av) else None
    inner_follow = (*items[i + 1 :], *follow) if extended else ()
    if op is _C.SUBPATTERN:
        return _prefixes(list(av[3]), extended=extended, follow=inner_follow)
    if op is _C.BRANCH:
        out: set[str] = set()
        for branch in av[1]:
            found = _prefixes(list(branch), extended=extended, follow=inner_follow)
            if not found:
                return None
            out |= found
        return out
    if op in (_C.MAX_REPEAT, _C.MIN_REPEAT):
        # A body that may repeat can be followed by itself: only a body taken at most once has a known sequel.
        body = _prefixes(list(av[2]), extended=extended, follow=inner_follow if av[1] == 1 else ())
        if av[0] >= 1 or body is None:
            return body
        if not extended:
            return None
        rest = _prefixes(items[i + 1 :], extended=True, follow=follow)  # the optional part left out
        return None if rest is None else body | rest
    return None


def literal_gate(source: str) -> tuple[str, ...] | None:
    """The literal openings of a pattern (every match starts with one), to skip texts that hold none of them."""
    try:
        found = _prefixes(list(_parser.parse(source)))
    except (re.error, TypeError, ValueError, RecursionError):
        return None
    return tuple(sorted(found)) if found and all(found) else None


def _word_openings(source: str) -> _Openings | None:
    """The openings of a pattern each of whose matches starts a word with one of its literals (or a digit), else
    None."""
    try:
        items = list(_parser.parse(source))
        if not _word_led(items):
            return None
        found = _prefixes(items, extended=True)
    except (re.error, TypeError, ValueError, RecursionError):
        return None
    if not found or not all(found):
        return None
    keys: set[str] = set()
    firsts: set[str] = set()
    digits = False
    for literal in found:
        if literal.startswith(_ANY_DIGIT):
            digits = True
            continue
        lead = _WORD_RUN.match(literal)
        if lead is None:
            return None
        word = lead.group(0)
        if len(word) >= _KEY_CHARS:
            keys.add(word[:_KEY_CHARS])
        elif lead.end() < len(literal) and literal[lead.end()] != _ANY_DIGIT:
            keys.add(word)  # the whole of a short word ("a", "an", "lt" of "lt."): the index keys it as itself
        else:
            firsts.add(word[0])
    # A word a first character (or any digit) already admits needs no key of its own: the candidate lists of the
    # keys and the first characters then never share an offset.
    keys = {key for key in keys if key[0] not in firsts and not (digits and key[0].isdecimal())}
    return _Openings(frozenset(keys), frozenset(firsts), digits)


def _lowered_document(text: str) -> str | None:
    """`lowered(text)` through the one-entry memo. Texts shorter than a document (a sentence, the words before a
    match) are lowered on the spot: through the cache they would push out the documents it is there for."""
    last_text, last_low = _LAST_LOWERED[0]
    if text is last_text:  # the same string object as the previous call on a document: most calls
        return last_low
    if len(text) < _DOCUMENT_CHARS:
        return _folded(text)  # and the memo keeps the document
    low = lowered(text)
    _LAST_LOWERED[0] = (text, low)
    return low


_SpansTarget = tuple[str, list[int], Callable[[str, int, int], "re.Match[str] | None"]]


class CasefoldPattern:
    """A case-insensitive pattern run as a case-sensitive one over the lower-cased document.

    Python's `re` is several times slower with IGNORECASE on long alternations; a pattern whose source has no upper
    case letter (outside escapes such as \\S or \\W) matches the lower-cased text exactly as the case-insensitive
    pattern matches the text, so it can run on `lowered(text)` (cached per document). Offsets are the same; matched
    strings come back in lower case. Texts whose lower-case form changes length use the case-insensitive pattern.

    Python's `re` tries a pattern that opens with `\\b` or a group at every position of the text (some 20 ns a
    character, per pattern), and the extractor runs a few hundred patterns over each document. When every match of
    a pattern opens with a word boundary and one of a set of literals (`literal_gate`), a search of a document
    instead looks up the words those literals open in an index of the document's words (made once per document,
    shared by all patterns) and tries the pattern only there: the same matches, at a fraction of the cost.
    """

    __slots__ = ("_candidates", "_fast", "_gate", "_last", "_openings", "_slow", "pattern")

    def __init__(self, source: str, flags: int = 0) -> None:
        self.pattern = source
        self._slow = re.compile(source, flags | re.IGNORECASE)
        self._fast = re.compile(source, flags & ~re.IGNORECASE)
        self._gate = literal_gate(source)
        self._openings = _word_openings(source)
        self._candidates: dict[str, list[int]] = {}  # lower-cased document -> `_candidate_positions`
        self._last: tuple[str | None, str, list[int]] = (None, "", [])  # see `_indexed`

    @property
    def indexed(self) -> bool:
        """Whether searches of a document are narrowed by its word index (the pattern opens a word with a literal)."""
        return self._openings is not None

    def _candidate_positions(self, low: str) -> list[int]:
        """Sorted offsets in the lower-cased document where one of the pattern's literal openings occurs."""
        found = self._candidates.get(low)
        if found is None:
            openings = self._openings
            assert openings is not None
            index = _word_index(low)
            by_key = index.by_key
            # The lists are disjoint (see `_word_openings`) and each sorted: one sort of their runs.
            merged: list[int] = []
            for key in openings.keys & index.keys:  # the smaller set is walked: a few hundred keys at most
                merged.extend(by_key[key])
            if openings.firsts or openings.digits:
                by_first = index.by_first()
                for first in openings.firsts.intersection(by_first):
                    merged.extend(by_first[first])
                if openings.digits:  # `\d` is any Unicode decimal digit, as `str.isdecimal` is
                    for first, offsets in by_first.items():
                        if first.isdecimal():
                            merged.extend(offsets)
            merged.sort()
            found = merged
            if len(self._candidates) >= _MEMO_DOCUMENTS:
                self._candidates.clear()
            self._candidates[low] = found
        return found

    def _indexed(self, text: str) -> tuple[str, list[int]] | None:
        """(lower-cased document, candidate offsets) when the word index serves this search of `text`, else None.
        A pattern is searched in one document many times in a row: the last answer is kept, checked by identity
        (and read and written as one tuple, so threads never pair one text with another's offsets)."""
        last = self._last
        if last[0] is text:
            return last[1], last[2]
        if self._openings is None or len(text) < _DOCUMENT_CHARS:
            return None
        low = _lowered_document(text)
        if low is None:
            return None
        candidates = self._candidate_positions(low)
        self._last = (text, low, candidates)
        return low, candidates

    def _search_candidates(self, target: str, candidates: list[int], pos: int, endpos: int) -> re.Match[str] | None:
        """The first match at a candidate offset: `target` is the lower-cased document (the text itself for a
        case-sensitive WordPattern)."""
        match = self._fast.match
        for i in range(bisect_left(candidates, pos), len(candidates)):
            at = candidates[i]
            if at >= endpos:
                return None
            m = match(target, at, endpos)
            if m is not None:
                return m
        return None

    def _iter_candidates(self, target: str, candidates: list[int], pos: int, endpos: int) -> Iterator[re.Match[str]]:
        match = self._fast.match
        resume = pos  # matches do not overlap: the next one starts where the last ended, as with finditer
        for i in range(bisect_left(candidates, pos), len(candidates)):
            at = candidates[i]
            if at >= endpos:
                return
            if at < resume:
                continue
            m = match(target, at, endpos)
            if m is not None:
                yield m
                resume = m.end()

    def _spans_target(self, text: str) -> _SpansTarget | None:
        """(string the pattern runs on, candidate offsets, its match) when the word index serves `finditer_spans`,
        else None."""
        indexed = self._indexed(text)
        return None if indexed is None else (indexed[0], indexed[1], self._fast.match)

    def _closed(self, pattern: re.Pattern[str], target: str, pos: int, endpos: int) -> bool:
        """True when no literal opening of the pattern occurs in target[pos:endpos]: no match is possible."""
        gate = self._gate
        if gate is None or pattern is not self._fast or min(endpos, len(target)) - pos < 400:
            return False  # on a sentence the pattern is as quick as the test
        return all(target.find(g, pos, endpos) < 0 for g in gate)

    @staticmethod
    def safe(source: str) -> bool:
        """No upper case, outside escapes, and no letter that matches more than lower-casing gives ("σ" also
        matches "ς"; "i" and "s" are folded with the text)."""
        return not any(
            c.isupper() or (ord(c) in _EXTRA_CASES and c not in "is") for c in re.sub(r"\\.|\(\?P[<=]", "", source)
        )

    def _target(self, text: str) -> tuple[re.Pattern[str], str]:
        low = _lowered_document(text)
        return (self._fast, low) if low is not None else (self._slow, text)

    def search(self, text: str, pos: int = 0, endpos: int = sys.maxsize) -> re.Match[str] | None:
        indexed = self._indexed(text)
        if indexed is not None:
            return self._search_candidates(indexed[0], indexed[1], pos, endpos)
        pattern, target = self._target(text)
        if self._gate is not None and self._closed(pattern, target, pos, endpos):
            return None
        return pattern.search(target, pos, endpos)

    def match(self, text: str, pos: int = 0, endpos: int = sys.maxsize) -> re.Match[str] | None:
        pattern, target = self._target(text)
        return pattern.match(target, pos, endpos)

    def finditer(self, text: str, pos: int = 0, endpos: int = sys.maxsize) -> Iterator[re.Match[str]]:
        indexed = self._indexed(text)
        if indexed is not None:
            return self._iter_candidates(indexed[0], indexed[1], pos, endpos)
        pattern, target = self._target(text)
        if self._gate is not None and self._closed(pattern, target, pos, endpos):
            return iter(())
        return pattern.finditer(target, pos, endpos)


class WordPattern(CasefoldPattern):
    """A pattern run as it is on the text (case-sensitive, or case-insensitive where case folding cannot serve, as
    with an inline `(?-i:[A-Z])`), tried in a document only where the document's word index (of its lower-cased
    form, shared with the case-folded patterns) has a word one of its literal openings can start: the same matches as
    the plain pattern, searched from `pos` (`finditer`, `search`) or in a slice as a string of its own
    (`finditer_slice`)."""

    __slots__ = ()

    def __init__(self, source: str, flags: int = 0) -> None:
        self.pattern = source
        self._fast = self._slow = re.compile(source, flags)
        self._gate = None
        openings = _word_openings(source)
        if openings is not None:
            # A literal can match only where its lower-cased form starts a word of the lower-cased text; with
            # IGNORECASE too, unless it holds a letter that also matches others (see `safe`).
            firsts = frozenset(first.lower() for first in openings.firsts)
            keys = frozenset(key.lower() for key in openings.keys if key[0].lower() not in firsts)
            openings = _Openings(keys, firsts, openings.digits)
            if flags & re.IGNORECASE and not all(self.safe(opening) for opening in keys | firsts):
                openings = None
        self._openings = openings
        self._candidates = {}
        self._last = (None, "", [])

    def _target(self, text: str) -> tuple[re.Pattern[str], str]:
        return self._fast, text

    def _spans_target(self, text: str) -> _SpansTarget | None:
        candidates = self._document_candidates(text)
        return None if candidates is None else (text, candidates, self._fast.match)

    def _document_candidates(self, text: str) -> list[int] | None:
        """Where a match can start in the document (from its lower-cased word index), or None: scan it."""
        indexed = self._indexed(text)
        return None if indexed is None else indexed[1]

    def search(self, text: str, pos: int = 0, endpos: int = sys.maxsize) -> re.Match[str] | None:
        candidates = self._document_candidates(text)
        if candidates is None:
            return self._fast.search(text, pos, endpos)
        return self._search_candidates(text, candidates, pos, endpos)

    def finditer(self, text: str, pos: int = 0, endpos: int = sys.maxsize) -> Iterator[re.Match[str]]:
        candidates = self._document_candidates(text)
        if candidates is None:
            return self._fast.finditer(text, pos, endpos)
        return self._iter_candidates(text, candidates, pos, endpos)

    def finditer_slice(self, text: str, start: int, end: int) -> Iterator[re.Match[str]]:
        """What `finditer(text[start:end])` gives: offsets are from `start` (a slice's `\\b` and look-behinds see
        nothing before it, unlike a search from `pos`)."""
        segment = text[start:end]
        candidates = self._document_candidates(text)
        if candidates is None:
            return self._fast.finditer(segment)
        return self._iter_slice(candidates, start, segment)

    def _iter_slice(self, candidates: list[int], start: int, segment: str) -> Iterator[re.Match[str]]:
        match = self._fast.match
        i = bisect_left(candidates, start)
        resume = 0
        if i == len(candidates) or candidates[i] != start:
            # The slice's first character opens a word of the slice even where the text's word began before it.
            m = match(segment, 0)
            if m is not None:
                yield m
                resume = m.end()
        # Further in, the slice's words start where the text's do.
        for j in range(i, len(candidates)):
            at = candidates[j] - start
            if at >= len(segment):
                return
            if at < resume:
                continue
            m = match(segment, at)
            if m is not None:
                yield m
                resume = m.end()


class PatternGroup:
    """Patterns tried one after another on the same spans (the generic cues): one look-up in their merged
    candidates tells whether any of the indexed ones can match in a span of a document, so a span where none can
    skips them all."""

    __slots__ = ("_indexed", "_indexed_ids", "_merged")

    def __init__(self, patterns: Sequence[re.Pattern[str]]) -> None:
        # compile_ci types its CasefoldPatterns as re.Pattern (same interface); look at them as objects to tell.
        found: list[object] = list(patterns)
        # A WordPattern's index is of the lower-cased text, but it runs on the text: the merge below does not hold.
        self._indexed = [
            p for p in found if isinstance(p, CasefoldPattern) and not isinstance(p, WordPattern) and p.indexed
        ]
        self._indexed_ids = frozenset(id(p) for p in self._indexed)  # the group holds them, so ids stay theirs
        self._merged: dict[str, list[int]] = {}  # lower-cased document -> merged candidate offsets

    def is_indexed(self, pattern: re.Pattern[str]) -> bool:
        return id(pattern) in self._indexed_ids

    def may_match(self, text: str, start: int, end: int) -> bool:
        """False only when no indexed pattern of the group can match in text[start:end]."""
        if not self._indexed or len(text) < _DOCUMENT_CHARS:
            return True
        pattern, low = self._indexed[0]._target(text)
        if pattern is not self._indexed[0]._fast:
            return True  # the lower-cased text would shift offsets: no index for it
        merged = self._merged.get(low)
        if merged is None:
            merged = sorted({at for p in self._indexed for at in p._candidate_positions(low)})
            if len(self._merged) >= _MEMO_DOCUMENTS:
                self._merged.clear()
            self._merged[low] = merged
        i = bisect_left(merged, start)
        return i < len(merged) and merged[i] < end


def finditer_spans(
    pattern: re.Pattern[str],
    text: str,
    spans: Sequence[tuple[int, int]],
    may_hold: Callable[[int], bool] | None = None,
) -> Iterator[tuple[int, re.Match[str]]]:
    """(i, match) for every match of `pattern.finditer(text, *spans[i])`, for each of the sorted, disjoint spans
    in turn.

    An indexed pattern walks its candidate offsets in the document once, however many spans (sentences) there are,
    instead of one search per span, most of which hold no candidate at all. A span is searched only where
    `may_hold(i)` (a cheap test, such as a needed word) does not rule it out: a word the index admits (every "in" for
    "in <year>") is tried only in sentences that can hold the rest."""
    # compile_ci types its CasefoldPatterns as re.Pattern (same interface); look at it as an object to tell.
    as_object: object = pattern
    served = as_object._spans_target(text) if isinstance(as_object, CasefoldPattern) else None
    if served is None:
        for i, (start, end) in enumerate(spans):
            if may_hold is None or may_hold(i):
                for m in pattern.finditer(text, start, end):
                    yield i, m
        return
    target, candidates, match = served
    starts = [start for start, _ in spans]
    i = -1
    end = resume = 0
    for at in candidates[bisect_left(candidates, starts[0]) if starts else 0 :]:
        if at >= end:
            i = bisect_right(starts, at) - 1
            if i < 0:
                continue
            end = spans[i][1]
            if at >= end:
                continue  # between spans
            # A span that cannot match is passed over: its candidates resume after its end.
            resume = spans[i][0] if may_hold is None or may_hold(i) else end
        if at < resume:
            continue  # matches do not overlap: the next one starts where the last ended, as with finditer
        found = match(target, at, end)
        if found is not None:
            yield i, found
            resume = found.end()


def compile_ci(source: str, flags: int = 0) -> re.Pattern[str]:
    """A case-insensitive pattern, as a `CasefoldPattern` when its source allows (same interface as re.Pattern for
    search, match and finditer)."""
    if CasefoldPattern.safe(source):
        return CasefoldPattern(source, flags)  # type: ignore[return-value]
    word = WordPattern(source, flags | re.IGNORECASE)
    return word if word.indexed else re.compile(source, flags | re.IGNORECASE)  # type: ignore[return-value]


def _compile(pattern: str) -> re.Pattern[str]:
    return compile_ci(pattern)


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
    prefilter: tuple[str, ...]  # lower-case substrings, one of which any defection story contains
    triggers: tuple[tuple[str, re.Pattern[str], float], ...]
    escape_context: re.Pattern[str]
    relative_clause: re.Pattern[str]
    generic_cues: tuple[tuple[re.Pattern[str], float], ...]
    not_escape_cues: tuple[tuple[re.Pattern[str], float], ...]
    new_event_cues: re.Pattern[str]
    anaphora: re.Pattern[str]
    number_words: dict[str, int]
    vague_counts: dict[str, tuple[int | None, int | None]]
    person_nouns: dict[str, str | None]
    group_nouns: dict[str, int]
    actor_context: dict[str, re.Pattern[str]]
    actor_priority: tuple[str, ...]
    actor_default: str
    capitals: frozenset[str]
    location_demotions: re.Pattern[str]
    method_cues: dict[str, re.Pattern[str]]
    method_priority: tuple[str, ...]
    armed_true: re.Pattern[str]
    armed_false: re.Pattern[str]
    outcome_cues: dict[str, re.Pattern[str]]
    outcome_priority: tuple[str, ...]
    destination_patterns: tuple[tuple[str, WordPattern], ...]
    directional: dict[str, str | None]
    origin_patterns: re.Pattern[str]


def _public(d: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in d.items() if not k.startswith("_")}


@cache
def lexicon() -> Lexicon:
    data = _load("lexicon.json")
    return Lexicon(
        prefilter=tuple(stem.strip().lower() for stem in data["prefilter"].split("|") if stem.strip()),
        triggers=tuple(
            (name, _compile(r"\b(?:" + pattern + ")"), float(strength))
            for name, (pattern, strength) in _public(data["triggers"]).items()
        ),
        escape_context=_compile(r"\b(?:" + data["escape_context"] + r")\b"),
        relative_clause=_compile(data["relative_clause"]),
        generic_cues=tuple((_compile(p), float(w)) for p, w in _public(data["generic_cues"]).items()),
        not_escape_cues=tuple((_compile(p), float(w)) for p, w in _public(data["not_escape_cues"]).items()),
        new_event_cues=_compile(data["new_event_cues"]),
        anaphora=_compile(data["anaphora"]),
        number_words=dict(data["number_words"]),
        vague_counts={k: (v[0], v[1]) for k, v in _public(data["vague_counts"]).items()},
        person_nouns=_public(data["person_nouns"]),
        group_nouns=_public(data["group_nouns"]),
        actor_context={k: _compile(v) for k, v in _public(data["actor_context"]).items()},
        actor_priority=tuple(data["actor_priority"]),
        actor_default=data["actor_default"],
        capitals=frozenset(data["capitals"]["names"]),
        location_demotions=_compile(data["location_demotions"]),
        method_cues={k: _compile(v) for k, v in _public(data["method_cues"]).items()},
        method_priority=tuple(data["method_priority"]),
        armed_true=_compile(data["armed_true"]),
        armed_false=_compile(data["armed_false"]),
        outcome_cues={k: _compile(v) for k, v in _public(data["outcome_cues"]).items()},
        outcome_priority=tuple(data["outcome_priority"]),
        destination_patterns=tuple(
            (k, WordPattern(v)) for k, v in _public(data["destination_patterns"]).items()
        ),  # case-sensitive: the place group wants capitalised names
        directional=_public(data["directional"]),
        origin_patterns=re.compile(data["origin_patterns"]),
    )


@dataclass(frozen=True, eq=False)
class Gazetteer:
    """Names (canonical and aliases, lower-cased) -> places, crossings and countries, with one matcher over all."""

    places: dict[str, Place]
    crossings: dict[str, Crossing]
    crossing_aliases: dict[str, str]
    countries: dict[str, str]  # name, alias or demonym (lower-cased) -> alpha-3
    demonyms: dict[str, str]
    country_names: dict[str, str]  # alpha-3 -> short English name
    max_tokens: int
    first_tokens: dict[str, int]  # first token of any name -> the most tokens a name starting with it has
    land_borders: frozenset[frozenset[str]]  # pairs of countries that share a land border
    _names: dict[str, tuple[str, Any]] = field(init=False, repr=False)  # key -> what `lookup_key` returns
    _prefixes: frozenset[str] = field(init=False, repr=False)  # the first 2..n-1 tokens of each n-token name

    def __post_init__(self) -> None:
        # One dict for every name, with the precedence of `lookup_key` (crossing, place, demonym, country), so the
        # scan does one lookup per candidate key instead of four.
        names: dict[str, tuple[str, Any]] = {key: ("country", code) for key, code in self.countries.items()}
        names.update((key, ("demonym", code)) for key, code in self.demonyms.items())
        names.update((key, ("place", place)) for key, place in self.places.items())
        names.update((key, ("crossing", self.crossings[name])) for key, name in self.crossing_aliases.items())
        object.__setattr__(self, "_names", names)
        # Every name's leading tokens (joined as keys are): once the text's tokens stop spelling one of these, no
        # longer name can match, so the scan need not build and look up those longer keys.
        prefixes: set[str] = set()
        for key in names:
            parts = key.split(" ")
            prefixes.update(" ".join(parts[:n]) for n in range(2, len(parts)))
        object.__setattr__(self, "_prefixes", frozenset(prefixes))

    def find(self, text: str, start: int, end: int) -> list[GazetteerHit]:
        """Every gazetteer name in text[start:end], longest match first, without overlaps."""
        if end - start > 64:
            # The document is scanned once; a span takes the hits inside it, unless one runs over its edge.
            starts, hits = _document_hits(self, text)
            i = bisect_left(starts, start)
            j = bisect_left(starts, end, lo=i)
            if (i == 0 or hits[i - 1].end <= start) and (j == i or hits[j - 1].end <= end):
                return hits[i:j]
        return self.scan(text, start, end)

    def scan(self, text: str, start: int, end: int) -> list[GazetteerHit]:
        starts, ends, forms = _tokens(text, start, end)
        hits: list[GazetteerHit] = []
        first_tokens = self.first_tokens
        names = self._names
        prefixes = self._prefixes
        n_tokens = len(forms)
        resume = 0  # the token after the last name found: names do not overlap
        # Most tokens begin no name; a set look-up per token in one comprehension finds those that might.
        for i in [i for i, form in enumerate(forms) if form in first_tokens]:
            if i < resume:
                continue
            longest = first_tokens[forms[i]]
            # Names are capitalised; only multi-word border features are also written in lower case
            # ("the sea border", "the demilitarized zone").
            capitalised = text[starts[i]].isupper()
            # keys[n - 1]: the first n tokens joined, for each n up to the longest that still begins some name.
            key = forms[i]
            keys = [key]
            for k in range(i + 1, i + min(longest, n_tokens - i)):
                key = key + " " + forms[k]
                keys.append(key)
                if key not in prefixes:
                    break
            for n in range(len(keys), 0, -1):
                if not capitalised and n < 2:
                    continue
                found = names.get(keys[n - 1])
                if found is not None and (capitalised or found[0] == "crossing"):
                    s, e = starts[i], ends[i + n - 1]
                    hits.append(GazetteerHit(s, e, text[s:e], found[0], found[1]))
                    resume = i + n
                    break
        return hits

    def lookup(self, name: str) -> tuple[str, Any] | None:
        return self.lookup_key(_key(name))

    def lookup_key(self, key: str) -> tuple[str, Any] | None:
        return self._names.get(key)


# Letters of any script, digits, and inner apostrophes, dots and hyphens (Ji'an, U.S., Hyesan-si).
_TOKEN = re.compile(r"[^\W_](?:[\w'.-]*[^\W_])?")
_POSSESSIVE_FORMS = frozenset({"'s", "'S"})
# A text's tokens as three lists: starts, ends, lower-cased forms (one tuple per token would cost more to make).
_Tokens = tuple[list[int], list[int], list[str]]


def _form(token: str) -> str:
    """A token as names are looked up: lower case, folded as documents are (`lowered`), so "Diyarbakır" in a
    document and in the gazetteer give the same key."""
    folded = _folded(token)
    return folded if folded is not None else token.lower()


def _tokens(text: str, start: int, end: int) -> _Tokens:
    """The tokens of text[start:end]; a possessive "'s" is not part of the name (Eritrea's)."""
    if end - start > 64:
        # Spans of one document are looked up many times: tokenise the document once and slice.
        starts, ends, forms = _document_tokens(text)
        i = bisect_left(starts, start)
        j = bisect_left(starts, end, lo=i)
        while j > i and ends[j - 1] > end:
            j -= 1
        if (i == 0 or ends[i - 1] <= start) and (j == len(starts) or starts[j] >= end):
            return starts[i:j], ends[i:j], forms[i:j]
    return _scan_tokens(text, start, end)


@lru_cache(maxsize=8)
def _document_hits(gaz: Gazetteer, text: str) -> tuple[list[int], list[GazetteerHit]]:
    hits = gaz.scan(text, 0, len(text))
    return [h.start for h in hits], hits


@lru_cache(maxsize=8)
def _document_tokens(text: str) -> _Tokens:
    return _scan_tokens(text, 0, len(text))


_TOKEN_SPLIT = re.compile(f"({_TOKEN.pattern})")


def _scan_tokens(text: str, start: int, end: int) -> _Tokens:
    """(starts, ends, lower-cased forms) of the tokens of text[start:end], as three lists."""
    low = lowered(text) if end - start > 64 else None
    if low is not None and start == 0 and end == len(text):
        # A whole document: the split finds every token and the summed lengths their offsets, in C. Splitting the
        # lower-cased text gives the same tokens (lower-casing never makes a word character of another kind, as a
        # test checks over all of Unicode), already in their looked-up form; no tuple per token.
        parts = _TOKEN_SPLIT.split(low)
        offsets = list(accumulate(map(len, parts), initial=0))
        starts = offsets[1 : len(parts) : 2]
        ends = offsets[2 : len(parts) : 2]
        forms = parts[1::2]
        at = low.find("'s")
        while at >= 0:
            i = bisect_left(ends, at + 2)
            if (
                i < len(ends)
                and ends[i] == at + 2
                and ends[i] - starts[i] > 2
                and text[at : at + 2] in _POSSESSIVE_FORMS
            ):
                ends[i] -= 2
                forms[i] = forms[i][:-2]
            at = low.find("'s", at + 1)
        return starts, ends, forms
    starts, ends, forms = [], [], []
    for m in _TOKEN.finditer(text, start, end):
        s, e = m.span()
        if e - s > 2 and text[e - 2 : e] in _POSSESSIVE_FORMS:
            e -= 2
        starts.append(s)
        ends.append(e)
        forms.append(low[s:e] if low is not None else _form(text[s:e]))
    return starts, ends, forms


@dataclass(frozen=True, slots=True)
class GazetteerHit:
    start: int
    end: int
    text: str
    kind: str  # crossing | place | demonym | country
    value: Any  # Crossing | Place | alpha-3 code


def _key(name: str) -> str:
    """Names and text are compared as lower-cased tokens joined by single spaces."""
    clean = name.replace("’", "'")
    return " ".join(_tokens(clean, 0, len(clean))[2])


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
        if getattr(country, "alpha_3", None) == "DDR":
            short["DDR"] = "East Germany"
        if getattr(country, "alpha_3", None) in ("CSK", "YUG"):  # Cold War defections name them often
            short[country.alpha_3] = "Czechoslovakia" if country.alpha_3 == "CSK" else "Yugoslavia"
    # pycountry's formal names for the two Koreas are not how news writes them.
    short.update({"PRK": "North Korea", "KOR": "South Korea", "RUS": "Russia", "IRN": "Iran", "SYR": "Syria"})
    return names, short


def _world_cities(known: set[str]) -> dict[str, Place]:
    """The world's larger cities (data/world_cities.json, made from GeoNames), for places the curated gazetteer
    does not cover; where two share a name, the larger one."""
    out: dict[str, Place] = {}
    for name, country, lat, lon, _population in _load("world_cities.json")["cities"]:
        key = _key(name)
        if key in known or key in out or len(key) < 4:
            continue
        out[key] = Place(name=name, kind="city", country=country, lat=lat, lon=lon, rank=KIND_RANK["city"])
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
    first_tokens: dict[str, int] = {}
    for name in names:
        parts = name.split(" ")
        first_tokens[parts[0]] = max(first_tokens.get(parts[0], 0), len(parts))
    borders = frozenset(frozenset(pair) for pair in _load("crossings.json").get("land_borders", ()) if len(pair) == 2)
    return Gazetteer(
        places=places,
        crossings=crossings,
        crossing_aliases=crossing_aliases,
        countries=countries,
        demonyms=demonyms,
        country_names=short_names,
        max_tokens=max_tokens,
        first_tokens=first_tokens,
        land_borders=borders,
    )
