"""Date expressions resolved against the publication date (spec: incident-record.md, date_start/date_end)."""

from __future__ import annotations

from datetime import date

import pytest

from app.extraction.dates import find_dates

PUB = date(2021, 3, 25)  # a Thursday


def first(text: str, ref: date | None = PUB):
    found = [d for d in find_dates(text, 0, len(text), ref, None) if not d.reporting]
    assert found, f"no date found in {text!r}"
    return found[0]


@pytest.mark.parametrize(
    ("text", "ref", "start", "end", "precision"),
    [
        ("They crossed on March 2, 2021, sources said.", PUB, date(2021, 3, 2), date(2021, 3, 2), "day"),
        ("They crossed on 2 March, sources said.", PUB, date(2021, 3, 2), date(2021, 3, 2), "day"),
        ("He crossed the border on New Year's Day.", PUB, date(2021, 1, 1), date(2021, 1, 1), "day"),
        ("They fled on Christmas Eve, a source said.", PUB, date(2020, 12, 24), date(2020, 12, 24), "day"),
        ("He crossed on New Year's Day, 1999, alone.", None, date(1999, 1, 1), date(1999, 1, 1), "day"),
        ("They crossed on the night of the 2nd.", PUB, date(2021, 3, 2), date(2021, 3, 2), "day"),
        ("They crossed on the 2nd.", PUB, date(2021, 3, 2), date(2021, 3, 2), "day"),
        # a day of the month after the publication day is the previous month's
        ("He swam across on the 27th.", PUB, date(2021, 2, 27), date(2021, 2, 27), "day"),
        ("Two soldiers fled last month.", PUB, date(2021, 2, 1), date(2021, 2, 28), "month"),
        ("A man crossed earlier this month.", PUB, date(2021, 3, 1), date(2021, 3, 25), "month"),
        ("A man crossed on Monday.", PUB, date(2021, 3, 22), date(2021, 3, 22), "day"),
        ("A man crossed on Thursday.", PUB, date(2021, 3, 25), date(2021, 3, 25), "day"),
        ("A man crossed last week.", PUB, date(2021, 3, 15), date(2021, 3, 21), "week"),
        ("A man crossed yesterday.", PUB, date(2021, 3, 24), date(2021, 3, 24), "day"),
        ("A man crossed in November.", PUB, date(2020, 11, 1), date(2020, 11, 30), "month"),
        ("A man crossed in March.", PUB, date(2021, 3, 1), date(2021, 3, 31), "month"),
        ("A man crossed in May.", PUB, date(2020, 5, 1), date(2020, 5, 31), "month"),
        ("In late summer 1976, a pilot flew his jet east.", PUB, date(1976, 7, 15), date(1976, 9, 22), "month"),
        ("In the summer of 1973 they swam.", PUB, date(1973, 6, 1), date(1973, 8, 31), "month"),
        ("In early spring 1990 they left.", PUB, date(1990, 3, 1), date(1990, 4, 15), "month"),
        ("He swam across in July last year.", PUB, date(2020, 7, 1), date(2020, 7, 31), "month"),
        ("Fifty years ago today, a sailor jumped ship.", PUB, date(1971, 3, 25), date(1971, 3, 25), "day"),
        ("He defected in August 1983.", PUB, date(1983, 8, 1), date(1983, 8, 31), "month"),
        ("He defected in 1997.", PUB, date(1997, 1, 1), date(1997, 12, 31), "year"),
        ("He defected two years ago.", PUB, date(2019, 1, 1), date(2019, 12, 31), "year"),
        ("Forty years ago this month, he swam.", date(2019, 5, 16), date(1979, 5, 1), date(1979, 5, 31), "month"),
        ("On the nights of Oct. 3 and 4, 1964, they dug.", None, date(1964, 10, 3), date(1964, 10, 4), "day"),
        ("They left on 2021-03-02.", None, date(2021, 3, 2), date(2021, 3, 2), "day"),
        ("They were caught on Jan. 5, 2020.", None, date(2020, 1, 5), date(2020, 1, 5), "day"),
    ],
)
def test_date_forms(text: str, ref: date | None, start: date, end: date, precision: str) -> None:
    found = first(text, ref)
    assert found.window is not None
    assert (found.window.start, found.window.end, found.window.precision) == (start, end, precision)
    assert text[found.start : found.end] == found.text


@pytest.mark.parametrize(
    "text",
    [
        "Two soldiers fled last month.",
        "A man crossed on Monday.",
        "A man crossed yesterday.",
        "on the 2nd",
        "They fled on Christmas Day.",
    ],
)
def test_relative_date_without_publication_date_stays_unresolved(text: str) -> None:
    assert first(text, None).window is None


@pytest.mark.parametrize(
    ("text", "reporting"),
    [
        ("The ministry said on Friday that two men had crossed.", True),
        ("SEOUL, July 29 (Yonhap) -- Two deserters were arrested.", True),
        ("Two men crossed on Friday, the ministry said.", False),
    ],
)
def test_reporting_dates_are_marked(text: str, reporting: bool) -> None:
    dates = find_dates(text, 0, len(text), PUB, None)
    assert dates and dates[0].reporting is reporting


@pytest.mark.parametrize(
    "text",
    [
        "the 25th Border Guard brigade",  # an ordinal unit, not a day
        "They may cross again.",  # the modal verb
        "The 105th birthday of the founder.",
        "He said sun and mar were bad words.",  # lower-case abbreviations are not months
    ],
)
def test_things_that_are_not_dates(text: str) -> None:
    assert [d.text for d in find_dates(text, 0, len(text), PUB, None)] == []


def test_since_marks_a_bound_not_an_event() -> None:
    text = "Since 2012, hundreds have crossed."
    (found,) = find_dates(text, 0, len(text), PUB, None)
    assert found.since


def test_anaphoric_year_follows_the_previous_date() -> None:
    text = "In 2014 a deserter broke into a home, and a year earlier a man killed a couple."
    dates = find_dates(text, 0, len(text), PUB, None)
    assert [d.window.start.year for d in dates if d.window] == [2014, 2013]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # counted from the last event date
        ("He crossed on March 2. He was caught the next day.", [date(2021, 3, 2), date(2021, 3, 3)]),
        ("He crossed on March 2. He had left home the day before.", [date(2021, 3, 2), date(2021, 3, 1)]),
        ("He crossed on March 2. Later that day he was found.", [date(2021, 3, 2), date(2021, 3, 2)]),
        # no event date yet: a day counted back is counted from the last report, else from publication
        ("The JCS said Monday that radar saw the boat the previous day.", [date(2021, 3, 22), date(2021, 3, 21)]),
        ("SEOUL, March 24 (Yonhap) -- A soldier crossed earlier in the day.", [date(2021, 3, 24), date(2021, 3, 24)]),
        ("A soldier crossed the line earlier in the day, officials said.", [date(2021, 3, 25)]),
        # ...but nothing counts forward from a report
        ("The JCS said Monday that he was questioned the next day.", [date(2021, 3, 22), None]),
    ],
)
def test_day_anaphora(text: str, expected: list[date | None]) -> None:
    found = find_dates(text, 0, len(text), PUB, None)
    assert [d.window.start if d.window else None for d in found] == expected


@pytest.mark.parametrize(
    ("text", "start", "end", "precision"),
    [
        ("They crossed on March 2. A month earlier a soldier was shot.", date(2021, 2, 1), date(2021, 2, 28), "month"),
        ("They crossed on March 2. Two weeks later they were caught.", date(2021, 3, 15), date(2021, 3, 21), "week"),
        ("They crossed on March 2. Three days later they were caught.", date(2021, 3, 5), date(2021, 3, 5), "day"),
        ("He fled in 2019. Two years before, his brother left.", date(2017, 1, 1), date(2017, 12, 31), "year"),
        # counted from the last date fine enough for it, not from a later year
        (
            "They crossed on March 2, after the border closed in early 2020. A month earlier a soldier was shot.",
            date(2021, 2, 1),
            date(2021, 2, 28),
            "month",
        ),
    ],
)
def test_spans_count_from_the_last_event_date(text: str, start: date, end: date, precision: str) -> None:
    window = find_dates(text, 0, len(text), PUB, None)[-1].window
    assert window is not None and (window.start, window.end, window.precision) == (start, end, precision)


def test_a_span_before_an_event_is_no_date() -> None:
    text = "They crossed on March 2. A month before the election a soldier was shot."
    assert [d.text for d in find_dates(text, 0, len(text), PUB, None)] == ["March 2"]


@pytest.mark.parametrize(
    ("text", "reporting"),
    [
        ("The ministry said on Thursday that it was checking.", True),
        ("The JCS said Monday.", True),
        ("The ministry said she left South Korea in June.", False),  # the date of what was said
    ],
)
def test_reporting_dates(text: str, reporting: bool) -> None:
    (found,) = find_dates(text, 0, len(text), PUB, None)
    assert found.reporting is reporting


def test_day_anaphora_needs_a_reference() -> None:
    text = "A soldier crossed the line the previous day."
    (found,) = find_dates(text, 0, len(text), None, None)
    assert found.window is None


@pytest.mark.parametrize("ref", [date(1, 1, 1), date(9999, 12, 31)])
def test_calendar_edges_do_not_crash(ref: date) -> None:
    text = "They crossed yesterday, last week, last month, on Monday, on the 31st and two years ago."
    assert find_dates(text, 0, len(text), ref, None)
