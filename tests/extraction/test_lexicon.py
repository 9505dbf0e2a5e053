"""The lexicon's matchers: a CasefoldPattern finds exactly what the plain case-insensitive pattern finds, whether it
scans the text or narrows a document's search through the word index."""

from __future__ import annotations

import json
import random
import re
from importlib import resources

import pytest

from app.extraction import attributes as attrs
from app.extraction import dates
from app.extraction import lexicon as lex
from app.extraction.lexicon import CasefoldPattern, PatternGroup, WordPattern, compile_ci, literal_gate


def _sample_documents() -> list[str]:
    folder = resources.files("app.samples")
    texts = [
        json.loads(entry.read_text(encoding="utf-8"))["text"]
        for entry in sorted(folder.iterdir(), key=lambda e: e.name)
        if entry.name.endswith(".json")
    ]
    # Document-sized texts (the index serves texts of 400 characters or more), plus a short one that is scanned,
    # and one of dates and counts written with other digits (Arabic-Indic, fullwidth), which `\\d` matches too.
    unusual_digits = (
        "On \u0663 May 2021 the \u0662nd group of \u0661\u0662 soldiers crossed; early May, 12 more; "
        "on the 2nd, \uff11\uff12 fishermen and 3 of them swam. "
        # Case-insensitive ASCII letters also match long s and dotless i, which lower-casing leaves alone.
        "The \u017foldiers defected; a defect\u0131on by sea, he cro\u017f\u017fed to China. " * 6
    )
    return [
        *(texts[i] + "\n\n" + texts[i + 1] for i in range(0, len(texts) - 1, 2)),
        "Two soldiers fled in May.",
        unusual_digits,
    ]


DOCUMENTS = _sample_documents()


def _all_patterns() -> list[CasefoldPattern]:
    lexicon = lex.lexicon()
    more, about = attrs._bound_patterns()
    found: list[object] = [
        *(pattern for _rule, pattern in dates._PATTERNS),
        *(pattern for _rule, pattern in attrs._size_patterns()),
        *(pattern for _phrase, pattern, _low, _high in attrs._vague_patterns()),
        attrs._singular_pattern(),
        attrs._group_noun_pattern(),
        attrs._vague_gate(),
        attrs._BROUGHT,
        more,
        about,
        *(pattern for _rule, pattern, _strength in lexicon.triggers),
        *(pattern for pattern, _weight in lexicon.generic_cues),
        *lexicon.method_cues.values(),
        *lexicon.outcome_cues.values(),
        *lexicon.actor_context.values(),
        lexicon.escape_context,
        lexicon.new_event_cues,
        lexicon.anaphora,
        lexicon.armed_true,
        lexicon.armed_false,
    ]
    return [p for p in found if isinstance(p, CasefoldPattern)]


PATTERNS = _all_patterns()
# Case-sensitive patterns served by the word index.
WORD_PATTERNS = [
    *(pattern for _rule, pattern in lex.lexicon().destination_patterns),
    attrs._TO_THE_SIDE,
    attrs._TITLED_NAME,
]


def test_most_lexicon_patterns_are_indexed() -> None:
    # If the gate analysis broke, every pattern would silently fall back to scanning: slower, still correct.
    assert sum(p.indexed for p in PATTERNS) >= len(PATTERNS) // 2


def _spans(text: str, rng: random.Random) -> list[tuple[int, int]]:
    """The whole text and random spans of it (starting and ending anywhere, mid-word included)."""
    return [(0, len(text))] + [(a, b) for a, b in (sorted(rng.sample(range(len(text) + 1), 2)) for _ in range(16))]


@pytest.mark.parametrize("pattern", [*PATTERNS, *WORD_PATTERNS], ids=lambda p: p.pattern[:40])
def test_indexed_search_finds_what_the_plain_pattern_finds(pattern: CasefoldPattern) -> None:
    plain = re.compile(pattern.pattern, pattern._slow.flags)  # case-insensitive but for case-sensitive WordPatterns
    rng = random.Random(pattern.pattern)
    lex.clear_caches()
    for text in DOCUMENTS:
        for start, end in _spans(text, rng):
            expected = [m.span() for m in plain.finditer(text, start, end)]
            assert [m.span() for m in pattern.finditer(text, start, end)] == expected
            first = pattern.search(text, start, end)
            assert (first.span() if first else None) == (expected[0] if expected else None)


def test_group_never_rules_out_a_span_where_a_member_matches() -> None:
    lexicon = lex.lexicon()
    cues = [pattern for pattern, _weight in lexicon.generic_cues]
    group = PatternGroup(cues)
    rng = random.Random(3)
    lex.clear_caches()
    checked = 0
    for text in DOCUMENTS:
        for _ in range(40):
            start, end = sorted(rng.sample(range(len(text) + 1), 2))
            if any(group.is_indexed(c) and c.search(text, start, end) for c in cues):
                assert group.may_match(text, start, end)
                checked += 1
    assert checked > 0


def test_group_leaves_word_patterns_to_run_on_their_own() -> None:
    """A WordPattern runs on the text, not its lower-cased form: a group must not rule out its spans."""
    titled = WordPattern(r"\b(?:Mr|Ms)\.?\s+[A-Z][a-z]+")
    group = PatternGroup([titled])  # type: ignore[list-item]
    text = DOCUMENTS[0] + " Later Mr. Kim crossed too."
    start = len(text) - 21
    lex.clear_caches()
    assert titled.search(text, start, len(text)) is not None
    assert not group.is_indexed(titled)  # type: ignore[arg-type]
    assert group.may_match(text, start, len(text))


@pytest.mark.parametrize(
    ("source", "gate"),
    [
        (r"\b(?:ran\s+away|absconded)", ("absconded", "ran")),
        (r"\b(?:a|an)\s+boat", ("a",)),
        (r"\bthe\s+(?P<day>\d+)", ("the",)),
        (r"\b\d{4}", None),  # opens with a class, not a literal
        (r"\b(?:on\s+)?monday", None),  # the opening word is optional
    ],
)
def test_literal_gate(source: str, gate: tuple[str, ...] | None) -> None:
    assert literal_gate(source) == gate


@pytest.mark.parametrize(
    ("source", "indexed"),
    [
        (r"\b(?:ran\s+away|absconded)", True),
        (r"\bif\b|\bunless\b", True),  # every alternative opens a word
        (r"^\W*(?:several|many)\s+", False),  # anchored at the span's start, not at a word
        (r"(?:fled|escaped)", False),  # could match inside a word
    ],
)
def test_index_serves_only_word_led_patterns(source: str, indexed: bool) -> None:
    pattern = compile_ci(source)
    assert isinstance(pattern, CasefoldPattern)
    assert pattern.indexed is indexed


@pytest.mark.parametrize(
    ("source", "keys", "firsts", "digits"),
    [
        (r"\b(?:ran\s+away|absconded)", {"ran", "abs"}, set(), False),
        (r"\b(?:a|an)\s+boat", set(), {"a"}, False),
        (r"\b(?P<n>\d{1,3}|two|seventeen)\s+men", {"two", "sev"}, set(), True),  # `\d`: any word opening with a digit
        (r"\b(?P<day>[0-3]?\d)(?:st|nd)?\s+may", set(), set(), True),
        (r"\b(?:(?:early|late)\s+)?(?:may|june?)\b", {"ear", "lat", "may", "jun"}, set(), False),  # optional opening
        (r"\b(?:on\s+)?the\s+(?P<day>\d+)", {"the", "on"}, set(), False),  # "on" then a space: the word "on"
        (r"\b(?:a|an|the)\s+boat", {"a", "an", "the"}, set(), False),  # short words as themselves
        (r"\b(?:to|into)\b", {"to", "int"}, set(), False),
        (r"\bu\.s\.", {"u"}, set(), False),  # the word is "u": a dot follows
        (r"\ba\d", set(), {"a"}, False),  # a digit goes on with the word
        (r"\bin\w*ly", set(), {"i"}, False),  # the word may go on: "inwardly"
        (r"\b(?:in|at)(?:\s+the)?\s+x", {"in", "at"}, set(), False),  # a space follows, the optional part or not
        (r"\ba(?:\s+b)?", set(), {"a"}, False),  # the pattern may end after "a", and the text's word go on
        (r"\b(?:to|at)+\b", set(), {"t", "a"}, False),  # "toat": a repeated part may follow itself
    ],
)
def test_word_openings(source: str, keys: set[str], firsts: set[str], digits: bool) -> None:
    openings = lex._word_openings(source)
    assert openings is not None
    assert (set(openings.keys), set(openings.firsts), openings.digits) == (keys, firsts, digits)


@pytest.mark.parametrize(
    "source",
    [
        r"\b(?:\w+\s+)?fled",  # opens with any word
        r"\b[a-z0-9]+\s+fled",  # a class wider than digits
        r"\b(?:early\s+)?",  # may match nothing at all
        r"\b(?:may|)\s+fled",  # an empty alternative
    ],
)
def test_no_openings_when_a_match_may_open_otherwise(source: str) -> None:
    assert lex._word_openings(source) is None


def test_text_whose_lower_case_changes_length_is_matched_case_insensitively() -> None:
    pattern = compile_ci(r"\b(?:fled|escaped)\s+to\b")
    text = "İ" * 10 + " Then the crew FLED to the south. " + "x " * 300
    m = pattern.search(text, 0, len(text))
    assert m is not None and text[m.start() : m.end()] == "FLED to"


@pytest.mark.parametrize("text", [*DOCUMENTS[:4], "Kim's boat reached Sokcho's port. THE CREW'S CAPTAIN o'neill." * 3])
def test_whole_document_tokens_match_span_tokens(text: str) -> None:
    # A whole document is tokenised by a split; a span by the pattern. Shifted by one character, the same text
    # takes the span path, and both must give the same tokens (possessives cut off alike).
    whole = list(zip(*lex._scan_tokens(text, 0, len(text)), strict=True))
    span = list(zip(*lex._scan_tokens(" " + text, 1, len(text) + 1), strict=True))
    assert whole == [(s - 1, e - 1, form) for s, e, form in span]
    assert all(not form.endswith("'s") for _s, _e, form in whole)


def test_word_patterns_are_indexed() -> None:
    assert all(pattern.indexed for pattern in WORD_PATTERNS)


@pytest.mark.parametrize("pattern", WORD_PATTERNS, ids=lambda p: p.pattern[:40])
def test_slice_search_finds_what_scanning_the_slice_finds(pattern: WordPattern) -> None:
    plain = re.compile(pattern.pattern)
    rng = random.Random(pattern.pattern)
    lex.clear_caches()
    for text in DOCUMENTS:
        # A span starting mid-word is a slice whose first word the text does not have.
        for start, end in _spans(text, rng):
            expected = [m.span() for m in plain.finditer(text[start:end])]
            assert [m.span() for m in pattern.finditer_slice(text, start, end)] == expected


FLED_TO = r"\b(?<![A-Za-z])fled\s+to\s+[A-Z]\w+"


@pytest.mark.parametrize(
    ("source", "text", "start", "end", "expected"),
    [
        # The slice opens mid-word: "fled" opens a word of the slice, not of the text, and the look-behind sees
        # nothing before the slice.
        (FLED_TO, "They said the unfled to China story was false. " * 10, 16, 47, ["fled to China"]),
        # The slice ends mid-name: the name is what the slice holds.
        (FLED_TO, "Later he fled to China, then to Laos. " * 12, 0, 20, ["fled to Chi"]),
        # An opening in capitals is looked up in the lower-cased index.
        (
            r"\b(?:South|North)\s+Korea\b",
            "He went from North Korea to South Korea. " * 10,
            0,
            41,
            ["North Korea", "South Korea"],
        ),
        # Lower-casing "İ" adds a character: no index, the slice is scanned.
        (FLED_TO, "İstanbul reporters wrote that he fled to China. " * 10, 0, 480, ["fled to China"] * 10),
    ],
)
def test_slice_edges(source: str, text: str, start: int, end: int, expected: list[str]) -> None:
    pattern = WordPattern(source)
    assert pattern.indexed
    lex.clear_caches()
    assert [m.group(0) for m in pattern.finditer_slice(text, start, end)] == expected


def test_lower_casing_keeps_every_character_s_kind() -> None:
    # The word index and the document tokeniser split the lower-cased text and use the offsets for the text: the
    # same split only if no character changes between word character and not (for all of Unicode, as folded).
    word = re.compile(r"\w")
    changed = [
        hex(code)
        for code in range(0x110000)
        if (folded := lex._folded(chr(code))) is not None
        and (word.match(chr(code)) is None) != (word.match(folded) is None)
    ]
    assert changed == []
