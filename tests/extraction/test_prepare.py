"""Text preparation: one-for-one normalisation, paragraphs, sentence splitting and photo captions."""

from __future__ import annotations

import pytest

from app.extraction.prepare import MAX_SENTENCE, is_caption, normalise, prepare


def sentences(text: str) -> list[str]:
    return [s.text for s in prepare(text, None).sentences]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "Mr. Kim crossed the river. He was caught.",
            ["Mr. Kim crossed the river.", "He was caught."],
        ),
        (
            "He flew to the U.S. Embassy in Seoul. Officials confirmed it.",
            ["He flew to the U.S. Embassy in Seoul.", "Officials confirmed it."],
        ),
        (
            "On Jan. 5 two men crossed. On Feb. 2 another followed.",
            ["On Jan. 5 two men crossed.", "On Feb. 2 another followed."],
        ),
        (
            "He ran at about 3:15 p.m. When a wheel stuck, he jumped out.",
            ["He ran at about 3:15 p.m.", "When a wheel stuck, he jumped out."],
        ),
        (
            "He crossed at 7 a.m. on Tuesday. Troops found him.",
            ["He crossed at 7 a.m. on Tuesday.", "Troops found him."],
        ),
        (
            '"Don\'t kill me," he said. "I am here to defect." Marines took him in.',
            ['"Don\'t kill me," he said.', '"I am here to defect."', "Marines took him in."],
        ),
        (
            "Lt. Col. Park and Sgt. Lee fled. Gen. Choi did not!",
            ["Lt. Col. Park and Sgt. Lee fled.", "Gen. Choi did not!"],
        ),
        ("Why did they go? Nobody knows.", ["Why did they go?", "Nobody knows."]),
        ("They left in 2019. 2020 was harder.", ["They left in 2019.", "2020 was harder."]),
    ],
)
def test_sentence_splitting(text: str, expected: list[str]) -> None:
    assert sentences(text) == expected


def test_paragraphs_and_hard_wrapped_lines() -> None:
    text = "First paragraph here.\n\nA hard wrapped sentence that\ncontinues on the next line.\n\nLast one."
    doc = prepare(text, None)
    assert [s.paragraph for s in doc.sentences] == [0, 1, 2]
    assert doc.sentences[1].text == "A hard wrapped sentence that\ncontinues on the next line."


@pytest.mark.parametrize(
    ("paragraph", "caption"),
    [
        ("Guards patrol the Yalu on the North Korean side. Photo: SAMPLE/AFP", True),
        ("Photo: a soldier at the fence", True),
        ("File photo: AP", True),
        ("North Korean fishing boats near Wonsan. / Image: Daily NK", True),
        ("A soldier watches the coast near Goseong. REUTERS/Kim Hong-Ji", True),
        ("Soldiers at the border - Getty Images", True),
        ("(Photo by John Doe/Getty Images)", True),
        ("© Yonhap", True),
        ("Six soldiers crossed the Yalu River into China on the night of the 2nd, sources said.", False),
        ("The photographer said the men had crossed the river at dawn.", False),
    ],
)
def test_captions(paragraph: str, caption: bool) -> None:
    assert is_caption(paragraph) is caption


def test_caption_sentences_are_marked_in_the_document() -> None:
    text = "Two soldiers crossed the Yalu yesterday.\n\nSoldiers fled across the river. Photo: SAMPLE/AFP"
    doc = prepare(text, None)
    assert [s.is_caption for s in doc.sentences] == [False, True, True]


@pytest.mark.parametrize(
    "text",
    [
        "“Quoted” — dashed – text’s\u00a0here",
        "tabs\tand\r\nwindows\x00control\x07chars\x1b",
        "<p>North Korean soldiers <b>fled</b></p> &amp; &nbsp; <!-- comment -->",
        "lone surrogate \udcff here",
        "line\u2028separator and\u0085next line",
        "",
    ],
)
def test_normalise_maps_one_for_one(text: str) -> None:
    clean = normalise(text)
    assert len(clean) == len(text)
    assert not any(ord(c) < 32 and c not in "\n" for c in clean)
    assert not any(0xD800 <= ord(c) <= 0xDFFF for c in clean)


def test_markup_becomes_space() -> None:
    clean = normalise("<p>Six soldiers <b>fled</b>.</p>")
    assert "<" not in clean and ">" not in clean
    assert clean.split() == ["Six", "soldiers", "fled", "."]


def test_typographic_characters_become_plain() -> None:
    assert normalise("“It’s – over”") == '"It\'s - over"'


@pytest.mark.parametrize("text", ["", "   ", "\n\n\t\n", "<div></div>", "...", "?!"])
def test_blank_or_punctuation_only_text_has_no_sentences(text: str) -> None:
    assert [s.text.strip(".?!") for s in prepare(text, None).sentences if s.text.strip(".?! ")] == []


def test_run_on_text_is_cut_into_bounded_sentences() -> None:
    text = " ".join(["word"] * 20_000)
    doc = prepare(text, None)
    assert len(doc.sentences) > 10
    assert max(s.end - s.start for s in doc.sentences) <= MAX_SENTENCE
    assert all(doc.text[s.start : s.end] == s.text for s in doc.sentences)


def test_sentence_offsets_point_into_the_article() -> None:
    text = "  “Mr. Kim fled,” she said.\n\nHe crossed the Tumen River on Jan. 3. Guards saw him. "
    doc = prepare(text, None)
    assert len(doc.text) == len(text)
    for s in doc.sentences:
        assert normalise(text[s.start : s.end]) == s.text


@pytest.mark.parametrize(
    ("char", "plain"),
    [
        *((c, "'") for c in "‘’‚‛′`´"),
        *((c, '"') for c in "“”„‟″«»"),
        *((c, "-") for c in "‐‑‒–—―−"),
        *((c, " ") for c in "\u00a0\u2007\u2009\u200a\u202f\u2002\u2003\u200b\ufeff\t\r\f\v\u0085"),
        *((c, "\n") for c in "\u2028\u2029"),
        ("\x07", " "),  # a control character
    ],
)
def test_normalise_maps_each_typographic_character(char: str, plain: str) -> None:
    assert normalise(f"Six{char}soldiers{char}{char}fled") == f"Six{plain}soldiers{plain}{plain}fled"
