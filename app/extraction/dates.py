"""Date expressions: find them in text and resolve each to an inclusive window with a precision.

Relative expressions are resolved against an explicit reference date (the article's publication date), never the
clock; without a reference date they stay unresolved. The rules follow the incident-record spec.
"""

from __future__ import annotations

import calendar
import re
from bisect import bisect_right
from dataclasses import dataclass
from datetime import date, timedelta
from functools import lru_cache, partial

from app.extraction.lexicon import compile_ci, finditer_spans
from app.extraction.types import DateWindow

MONTHS = {
    name: number
    for number, names in enumerate(
        [
            ("january", "jan"),
            ("february", "feb"),
            ("march", "mar"),
            ("april", "apr"),
            ("may",),
            ("june", "jun"),
            ("july", "jul"),
            ("august", "aug"),
            ("september", "sept", "sep"),
            ("october", "oct"),
            ("november", "nov"),
            ("december", "dec"),
        ],
        start=1,
    )
    for name in names
}
WEEKDAYS = {d: i for i, d in enumerate(("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"))}
SEASONS = {"spring": (3, 5), "summer": (6, 8), "autumn": (9, 11), "fall": (9, 11), "winter": (12, 2)}
NUMBER_WORDS = {
    "a": 1,
    "an": 1,
    "one": 1,
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
    "ten": 10,
    "eleven": 11,
    "twelve": 12,
    "fifteen": 15,
    "twenty": 20,
    "thirty": 30,
    "forty": 40,
    "fifty": 50,
    "sixty": 60,
    "seventy": 70,
    "eighty": 80,
    "ninety": 90,
    "a hundred": 100,
}
# Where each season ends (the solstice or equinox after its last meteorological month): "late summer" runs to
# September 22.
SEASON_END = {"spring": (6, 20), "summer": (9, 22), "autumn": (12, 21), "fall": (12, 21), "winter": (3, 20)}

_MONTH = (
    r"(?P<month>jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|sept?(?:ember)?|"
    r"oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)\.?"
)
_DAY = r"(?P<day>[0-3]?\d)(?:st|nd|rd|th)?"
_YEAR = r"(?P<year>1[89]\d\d|20\d\d)"
_WEEKDAY = r"(?P<weekday>monday|tuesday|wednesday|thursday|friday|saturday|sunday)"
_PART = r"(?:\s+(?:morning|afternoon|evening|night))?"
_MOD = r"(?:(?P<mod>early|mid|late|the\s+end\s+of|the\s+beginning\s+of|the\s+start\s+of|the\s+middle\s+of)[\s-]+)?"
_NUM = (
    r"(?P<num>\d+|a\s+hundred|a|an|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|fifteen|twenty|"
    r"thirty|forty|fifty|sixty|seventy|eighty|ninety)"
)

# Ordered: more specific patterns first; a later pattern never overlaps text an earlier one claimed.
_PATTERNS: list[tuple[str, re.Pattern[str]]] = [
    (name, compile_ci(pattern))
    for name, pattern in [
        ("iso_date", r"\b(?P<year>\d{4})-(?P<mnum>\d\d)-(?P<day>\d\d)\b"),
        (
            "month_days_year",
            rf"\b{_MONTH}\s+{_DAY}\s*(?:and|to|through|-|&)\s*(?P<day2>[0-3]?\d)(?:st|nd|rd|th)?,?\s+{_YEAR}\b",
        ),
        ("month_day_year", rf"\b{_MONTH}\s+{_DAY},?\s+{_YEAR}\b"),
        ("day_month_year", rf"\b{_DAY}\s+(?:of\s+)?{_MONTH},?\s+{_YEAR}\b"),
        ("day_of_last_month", rf"\bthe\s+{_DAY}\s+of\s+last\s+month\b"),
        ("month_year", rf"\b{_MOD}{_MONTH},?\s+(?:of\s+)?{_YEAR}\b"),
        ("season_year", rf"\b{_MOD}(?P<season>spring|summer|autumn|fall|winter)\s+(?:of\s+)?{_YEAR}\b"),
        ("month_day", rf"\b{_MONTH}\s+{_DAY}\b(?!\s*(?:,\s*)?\d)"),
        (
            "holiday",
            r"\b(?:on\s+)?(?P<holiday>new\s+year'?s\s+(?:day|eve)|christmas\s+(?:day|eve))"
            r"(?:,?\s+(?P<year>(?:19|20)\d\d)\b)?(?!\s*(?:,\s*)?\d)",
        ),
        ("day_month", rf"\b{_DAY}\s+(?:of\s+)?{_MONTH}\b"),
        ("years_ago_this_month", rf"\b{_NUM}\s+years?\s+ago\s+this\s+month\b"),
        ("years_ago_today", rf"\b{_NUM}\s+years?\s+ago\s+today\b"),
        (
            "month_rel_year",
            rf"\b(?:in\s+|during\s+)?{_MOD}{_MONTH},?\s+(?:of\s+)?(?P<rel>last\s+year|this\s+year|the\s+previous\s+year)\b",
        ),
        (
            "yesterday",
            r"\b(?P<rel>the\s+day\s+before\s+yesterday|yesterday|last\s+night|today|tonight|earlier\s+today|this\s+(?:morning|afternoon|evening))\b",
        ),
        ("last_weekday", rf"\b(?:last|this\s+past|past)\s+{_WEEKDAY}{_PART}\b"),
        ("weekday", rf"\b(?:on\s+)?(?:(?:early|late)\s+(?:on\s+)?)?{_WEEKDAY}{_PART}\b"),
        ("past_span", r"\b(?:in|within|over|during)\s+the\s+(?:last|past)\s+(?P<unit>week|month|year)\b"),
        ("last_week", r"\b(?P<rel>last\s+week(?:end)?|the\s+previous\s+week|earlier\s+this\s+week|this\s+week)\b"),
        (
            "this_month",
            r"\b(?P<rel>earlier\s+this\s+month|early\s+this\s+month|(?:at\s+)?the\s+(?:beginning|start)\s+of\s+"
            r"(?:this|the)\s+month|this\s+month)\b",
        ),
        ("last_month", r"\b(?P<rel>last\s+month|the\s+previous\s+month|late\s+last\s+month|early\s+last\s+month)\b"),
        ("this_year", r"\b(?P<rel>earlier\s+this\s+year|this\s+year|last\s+year|the\s+previous\s+year)\b"),
        ("ago", rf"\b{_NUM}\s+(?P<unit>day|week|month|year)s?\s+ago\b"),
        (
            "anaphoric_year",
            r"\b(?P<rel>(?:(?:a|one)\s+)?year\s+(?:earlier|before|later)|the\s+(?:following|next)\s+year)\b",
        ),
        (
            "anaphoric_day",
            r"\b(?P<rel>the\s+(?:following|next|previous|preceding)\s+day|a\s+day\s+(?:earlier|later)|"
            r"(?:earlier|later)\s+(?:in\s+the|that)\s+day|the\s+day\s+before(?=\s*[,.;:)]|\s+(?:and|when|but)\b))\b",
        ),
        (
            "anaphoric_span",
            rf"\b{_NUM}\s+(?P<unit>day|week|month|year)s?\s+(?P<rel>earlier|later|before(?!\s+(?:the|a|an|his|her|their|"
            r"its|he|she|they|it|being|\w+ing)\b))\b",
        ),
        (
            "nth",
            rf"\b(?:on\s+|around\s+)?the\s+(?:night\s+of\s+the\s+)?{_DAY}\b(?!\s+(?:century|anniversary|birthday))",
        ),
        ("month_alone", rf"\b(?P<prep>in|during|since|last|this\s+past|until|by)\s+{_MOD}{_MONTH}\b(?!\s+\d)"),
        (
            "year",
            rf"\b(?:(?P<prep>in|during|since|of|from|until|by)\s+){_MOD}{_YEAR}\b(?![-,.]\d|\s*(?:people|defectors|%))",
        ),
    ]
]

# Words (lower case; "0" for any digit) of which a sentence must hold one for a rule to be worth running.
_MONTH_STEMS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
_WEEKDAY_NAMES = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_NEEDS: dict[str, tuple[str, ...]] = {
    "iso_date": ("0",),
    "month_days_year": ("0",),
    "month_day_year": ("0",),
    "day_month_year": ("0",),
    "day_of_last_month": ("last month",),
    "month_year": ("0",),
    "season_year": ("0",),
    "month_day": ("0",),
    "holiday": ("new year", "christmas"),
    "day_month": ("0",),
    "yesterday": ("yesterday", "night", "today", "tonight", "this "),
    "last_weekday": _WEEKDAY_NAMES,
    "weekday": _WEEKDAY_NAMES,
    "past_span": ("last", "past"),
    "last_week": ("week",),
    "this_month": ("month",),
    "last_month": ("month",),
    "this_year": ("year",),
    "years_ago_this_month": ("ago",),
    "years_ago_today": ("ago",),
    "month_rel_year": ("year",),
    "ago": ("ago",),
    "anaphoric_year": ("year",),
    "anaphoric_day": ("day",),
    "anaphoric_span": ("earlier", "later", "before"),
    "nth": ("0",),
    "month_alone": _MONTH_STEMS,
    "year": ("0",),
}
_DIGIT = re.compile(r"\d")


def clear_caches() -> None:
    _document_rules.cache_clear()


@lru_cache(maxsize=8)
def _document_rules(text: str) -> tuple[tuple[str, re.Pattern[str], tuple[str, ...] | None], ...]:
    """(rule, pattern, needs) for the rules worth trying anywhere in the document, in order: a rule whose needed
    words the whole text lacks can match in none of its sentences."""
    low = text.lower()
    digit = _DIGIT.search(low) is not None
    out = []
    for rule, pattern in _PATTERNS:
        needs = _NEEDS.get(rule)
        if needs is None or ("0" in needs and digit) or any(w in low for w in needs if w != "0"):
            out.append((rule, pattern, needs))
    return tuple(out)


_NTH_NEEDS_DAYWORD = re.compile(r"(st|nd|rd|th)\b", re.IGNORECASE)
_REPORTING_BEFORE = re.compile(
    r"\b(?:told|tells|said|says|reported|reports|reporting|announced|confirmed|revealed|added|explained|stated|"
    r"when\s+reached|reached\s+by\s+(?:phone|telephone)|spoke|speaking|published|released|updated|wrote|"
    r"interview(?:ed)?|quoted|briefing|press\s+conference)"
    # ...but not past the subject of what was said: "the ministry said she left South Korea in June"
    r"\b(?:(?!\b(?:that|he|she|they|it|who|which|the\s+(?:man|woman|soldier|men|women|family|group|boat))\b)"
    r"[^.;:!?]){0,40}$",
    re.IGNORECASE,
)
_DATELINE_AFTER = re.compile(
    r"^\s*\((?:Yonhap|AP|AFP|Reuters|IANS|UPI|Xinhua|KCNA|dpa)\)"
    # any agency: "SEOUL, Aug. 3 (Sample Wire) --"
    r"|^\s*\((?-i:[A-Z])[\w.&' -]{1,30}\)\s*(?:--|\u2014|\u2013|-)",
    re.IGNORECASE,
)


@dataclass(frozen=True, slots=True)
class DateMention:
    start: int
    end: int
    text: str
    rule: str
    window: DateWindow | None  # None when it cannot be resolved (relative, no reference date)
    reporting: bool  # the date says when something was reported, not when it happened
    since: bool  # "since <date>": a bound, not the event's date


def _month_range(year: int, month: int) -> tuple[date, date]:
    return date(year, month, 1), date(year, month, calendar.monthrange(year, month)[1])


def _modified_month(year: int, month: int, mod: str | None) -> DateWindow:
    first, last = _month_range(year, month)
    # "early/late March" narrows to thirds of the month, kept as month precision.
    if mod and mod.startswith(("early", "the beginning", "the start")):
        return DateWindow(first, first + timedelta(days=10), "month")
    if mod and mod.startswith(("mid", "the middle")):
        return DateWindow(first + timedelta(days=9), first + timedelta(days=20), "month")
    if mod and mod.startswith(("late", "the end")):
        return DateWindow(first + timedelta(days=19), last, "month")
    return DateWindow(first, last, "month")


def _season(year: int, first_month: int, season: str, mod: str | None) -> DateWindow:
    """A season of a year: its three meteorological months; early = to the middle of its second month, mid = its
    second month, late = from the middle of its second month to the solstice or equinox that ends it."""

    def month_of(offset: int) -> tuple[int, int]:
        month = first_month + offset
        return (year + (month - 1) // 12, (month - 1) % 12 + 1)

    y1, m1 = month_of(0)
    y2, m2 = month_of(1)
    y3, m3 = month_of(2)
    if mod and mod.startswith(("early", "the beginning", "the start")):
        return DateWindow(date(y1, m1, 1), date(y2, m2, 15), "month")
    if mod and mod.startswith(("mid", "the middle")):
        return DateWindow(*_month_range(y2, m2), "month")
    if mod and mod.startswith(("late", "the end")):
        end_month, end_day = SEASON_END[season]
        end_year = y3 if end_month >= m3 else y3 + 1
        return DateWindow(date(y2, m2, 15), date(end_year, end_month, end_day), "month")
    return DateWindow(date(y1, m1, 1), _month_range(y3, m3)[1], "month")


def _latest_month(month: int, ref: date, *, strictly_before: bool = False) -> int:
    """The year of the latest `month` on or before the reference date's month."""
    year = ref.year
    if month > ref.month or (strictly_before and month == ref.month):
        year -= 1
    return year


def _latest_day_of_month(day: int, ref: date) -> date | None:
    """The latest date with this day-of-month on or before the reference date."""
    year, month = ref.year, ref.month
    for _ in range(13):
        try:
            candidate = date(year, month, day)
        except ValueError:
            candidate = None
        if candidate is not None and candidate <= ref:
            return candidate
        month -= 1
        if month == 0:
            month, year = 12, year - 1
    return None


def _latest_month_day(month: int, day: int, ref: date) -> date | None:
    for year in (ref.year, ref.year - 1):
        try:
            candidate = date(year, month, day)
        except ValueError:
            return None
        if candidate <= ref:
            return candidate
    return None


def _day(d: date | None) -> DateWindow | None:
    return DateWindow(d, d, "day") if d else None


# Holidays on fixed dates, as news names them ("crossed the border on New Year's Day"): (month, day).
_HOLIDAYS = {
    "new years day": (1, 1),
    "new year day": (1, 1),
    "new years eve": (12, 31),
    "new year eve": (12, 31),
    "christmas day": (12, 25),
    "christmas eve": (12, 24),
}


def _resolve(rule: str, m: re.Match[str], ref: date | None, previous: DateWindow | None) -> DateWindow | None:
    g = {k: (v.lower() if isinstance(v, str) else v) for k, v in m.groupdict().items()}
    mod = re.sub(r"\s+", " ", g["mod"]) if g.get("mod") else None
    try:
        if rule == "iso_date":
            return _day(date(int(g["year"]), int(g["mnum"]), int(g["day"])))
        if rule in ("month_day_year", "day_month_year"):
            return _day(date(int(g["year"]), MONTHS[g["month"]], int(g["day"])))
        if rule == "month_days_year":
            first = date(int(g["year"]), MONTHS[g["month"]], int(g["day"]))
            last = date(int(g["year"]), MONTHS[g["month"]], int(g["day2"]))
            return DateWindow(first, last, "day") if first <= last else None
    except ValueError:
        return None
    if rule == "month_year":
        year, month = int(g["year"]), MONTHS[g["month"]]
        return _modified_month(year, month, mod)
    if rule == "season_year":
        year = int(g["year"])
        return _season(year, SEASONS[g["season"]][0], g["season"], mod)
    if rule == "year":
        year = int(g["year"])
        return DateWindow(date(year, 1, 1), date(year, 12, 31), "year")
    if rule == "holiday":
        month, day = _HOLIDAYS[re.sub(r"\W+", " ", g["holiday"].replace("'", ""))]
        if g.get("year"):
            return _day(date(int(g["year"]), month, day))
        return _day(_latest_month_day(month, day, ref)) if ref is not None else None
    if ref is None:
        if rule in ("anaphoric_year", "anaphoric_day") and previous is not None:
            return _anaphoric(g["rel"], previous)
        if rule == "anaphoric_span" and previous is not None:
            return _anaphoric_span(g, previous)
        if rule in ("month_day", "day_month") and previous is not None and previous.start is not None:
            # No publication date, but the text just gave a full date: "On May 23, 1996 ... on May 9" is 1996.
            try:
                return _day(date(previous.start.year, MONTHS[g["month"]], int(g["day"])))
            except ValueError:
                return None
        return None
    if rule in ("month_day", "day_month"):
        return _day(_latest_month_day(MONTHS[g["month"]], int(g["day"]), ref))
    if rule == "day_of_last_month":
        first_of_this = ref.replace(day=1)
        last_month_end = first_of_this - timedelta(days=1)
        try:
            return _day(last_month_end.replace(day=int(g["day"])))
        except ValueError:
            return None
    if rule == "yesterday":
        rel = re.sub(r"\s+", " ", g["rel"])
        offset = {"the day before yesterday": 2, "yesterday": 1, "last night": 1}.get(rel, 0)
        return _day(ref - timedelta(days=offset))
    if rule == "last_weekday":
        delta = (ref.weekday() - WEEKDAYS[g["weekday"]]) % 7 or 7
        return _day(ref - timedelta(days=delta))
    if rule == "weekday":
        delta = (ref.weekday() - WEEKDAYS[g["weekday"]]) % 7
        return _day(ref - timedelta(days=delta))
    if rule == "past_span":
        days = {"week": 7, "month": 31, "year": 365}[g["unit"]]
        return DateWindow(ref - timedelta(days=days), ref, g["unit"])
    if rule == "last_week":
        rel = re.sub(r"\s+", " ", g["rel"])
        monday = ref - timedelta(days=ref.weekday())
        if rel in ("this week", "earlier this week"):
            return DateWindow(monday, ref, "week")
        if rel == "last weekend":
            return DateWindow(monday - timedelta(days=2), monday - timedelta(days=1), "day")
        return DateWindow(monday - timedelta(days=7), monday - timedelta(days=1), "week")
    if rule == "this_month":
        return DateWindow(ref.replace(day=1), ref, "month")
    if rule == "last_month":
        end = ref.replace(day=1) - timedelta(days=1)
        window = DateWindow(end.replace(day=1), end, "month")
        rel = g["rel"]
        if rel.startswith("late"):
            return _modified_month(end.year, end.month, "late")
        if rel.startswith("early"):
            return _modified_month(end.year, end.month, "early")
        return window
    if rule == "this_year":
        rel = re.sub(r"\s+", " ", g["rel"])
        if rel in ("last year", "the previous year"):
            return DateWindow(date(ref.year - 1, 1, 1), date(ref.year - 1, 12, 31), "year")
        return DateWindow(date(ref.year, 1, 1), ref, "year")
    if rule == "years_ago_today":
        n = _count(g["num"])
        return _day(ref.replace(year=ref.year - n) if (ref.month, ref.day) != (2, 29) else date(ref.year - n, 2, 28))
    if rule == "month_rel_year":
        year = ref.year if re.sub(r"\s+", " ", g["rel"]) == "this year" else ref.year - 1
        return _modified_month(year, MONTHS[g["month"]], mod)
    if rule == "years_ago_this_month":
        n = _count(g["num"])
        return DateWindow(*_month_range(ref.year - n, ref.month), "month")
    if rule == "ago":
        n = _count(g["num"])
        unit = g["unit"]
        if unit == "day":
            return _day(ref - timedelta(days=n))
        if unit == "week":
            monday = ref - timedelta(days=ref.weekday()) - timedelta(weeks=n)
            return DateWindow(monday, monday + timedelta(days=6), "week")
        if unit == "month":
            year, month = ref.year, ref.month - n
            while month < 1:
                month, year = month + 12, year - 1
            return DateWindow(*_month_range(year, month), "month")
        return DateWindow(date(ref.year - n, 1, 1), date(ref.year - n, 12, 31), "year")
    if rule in ("anaphoric_year", "anaphoric_day"):
        return _anaphoric(g["rel"], previous) if previous else None
    if rule == "anaphoric_span":
        return _anaphoric_span(g, previous) if previous else None
    if rule == "nth":
        return _day(_latest_day_of_month(int(g["day"]), ref))
    if rule == "month_alone":
        month = MONTHS[g["month"]]
        prep = re.sub(r"\s+", " ", g["prep"] or "")
        year = _latest_month(month, ref, strictly_before=prep in ("last", "this past"))
        return _modified_month(year, month, mod)
    return None


def _count(token: str) -> int:
    token = re.sub(r"\s+", " ", token)
    return NUMBER_WORDS.get(token) or int(token)


def _anaphoric_span(g: dict[str, str], previous: DateWindow) -> DateWindow | None:
    """'A month earlier', 'two weeks later': counted from the last event date, no finer than it."""
    anchor = previous.start
    if anchor is None:
        return None
    n = _count(g["num"]) * (1 if g["rel"] == "later" else -1)
    unit = g["unit"]
    if unit == "year":
        return DateWindow(date(anchor.year + n, 1, 1), date(anchor.year + n, 12, 31), "year")
    if unit == "month":
        if previous.precision == "year":
            return None
        year, month = divmod(anchor.year * 12 + anchor.month - 1 + n, 12)
        return DateWindow(*_month_range(year, month + 1), "month")
    if previous.precision != "day":
        return None
    if unit == "week":
        day = anchor + timedelta(weeks=n)
        monday = day - timedelta(days=day.weekday())
        return DateWindow(monday, monday + timedelta(days=6), "week")
    return _day(anchor + timedelta(days=n))


_FORWARD = re.compile(r"\b(?:following|next|later)\b")
_SAME_DAY = (" in the day", " that day")


def _counts_forward(rel: str) -> bool:
    """'the next day', 'a day later' (not 'later in the day', the same day)."""
    rel = re.sub(r"\s+", " ", rel)
    return _FORWARD.search(rel) is not None and not rel.endswith(_SAME_DAY)


def _anaphoric(rel: str, previous: DateWindow) -> DateWindow | None:
    if previous.start is None or previous.end is None:
        return None
    rel = re.sub(r"\s+", " ", rel)
    if "year" in rel:
        year = previous.start.year + (-1 if ("earlier" in rel or "before" in rel) else 1)
        return DateWindow(date(year, 1, 1), date(year, 12, 31), "year")
    if previous.precision != "day":
        return None
    delta = 0 if rel.endswith(_SAME_DAY) else 1 if _counts_forward(rel) else -1
    return _day(previous.start + timedelta(days=delta))


def _plausible(rule: str, m: re.Match[str], text: str) -> bool:
    if rule == "nth":
        # "the 2nd" but not "the 25th Border Guard brigade" or "the 105th birthday".
        after = text[m.end() : m.end() + 30]
        if not _NTH_NEEDS_DAYWORD.search(m.group(0)) or re.match(r"\s+[A-Z]", after):
            return False
        if re.match(
            r"\s+(?:of\s+\w+|century|anniversary|birthday|floor|time|day\s+of|parallel|division|brigade)", after
        ):
            return re.match(r"\s+of\s+(?:this|that|the)\s+month", after) is not None
        return int(m.group("day")) <= 31
    if rule in ("month_day", "day_month", "month_alone", "month_year", "month_rel_year"):
        month_text = text[m.start("month") : m.end("month")]  # the article's own case, not the matcher's
        if month_text.lower() == "may" and not month_text[0].isupper():
            return False  # the modal verb
        if month_text.lower() in ("mar", "jun", "jul", "sep", "oct", "dec", "jan", "feb", "apr", "aug", "nov"):
            return month_text[0].isupper()
        if rule in ("month_day", "day_month"):
            return 1 <= int(m.group("day")) <= 31
    if rule == "weekday":
        return text[m.start("weekday")].isupper()
    return True


def find_dates(text: str, start: int, end: int, ref: date | None, previous: DateWindow | None) -> list[DateMention]:
    """Every date expression in text[start:end], in order, resolved where possible."""
    return find_dates_in_spans(text, [(start, end)], ref, previous)[0]


def find_dates_in_spans(
    text: str, spans: list[tuple[int, int]], ref: date | None, previous: DateWindow | None
) -> list[list[DateMention]]:
    """`find_dates` for each of the sorted, disjoint spans (the sentences) in turn, each date anaphora ("the next
    day") resolved against the last event date before it, in its span or an earlier one."""
    # Per span: claimed starts, sorted, with the ends alongside (overlap checks by bisection stay cheap), and finds.
    claimed: list[tuple[list[int], list[int]]] = [([], []) for _ in spans]
    found: list[list[tuple[int, int, str, re.Match[str]]]] = [[] for _ in spans]
    lows: dict[int, tuple[str, bool]] = {}

    def holds_one(needs: tuple[str, ...], i: int) -> bool:
        """Whether span i holds one of the words a rule needs (its lower-cased text is made once, when asked)."""
        low_digit = lows.get(i)
        if low_digit is None:
            low = text[spans[i][0] : spans[i][1]].lower()
            low_digit = lows[i] = (low, _DIGIT.search(low) is not None)
        low, digit = low_digit
        return ("0" in needs and digit) or any(w in low for w in needs if w != "0")

    for rule, pattern, needs in _document_rules(text):
        gate = None if needs is None else partial(holds_one, needs)
        for i, m in finditer_spans(pattern, text, spans, gate):
            s, e = m.span()
            claimed_starts, claimed_ends = claimed[i]
            j = bisect_right(claimed_starts, s)
            overlaps = (j > 0 and claimed_ends[j - 1] > s) or (j < len(claimed_starts) and claimed_starts[j] < e)
            if overlaps or not _plausible(rule, m, text):
                continue
            claimed_starts.insert(j, s)
            claimed_ends.insert(j, e)
            found[i].append((s, e, rule, m))
    anchors = _Anchors(previous)
    return [_resolved(text, span_found, ref, anchors) for span_found in found]


@dataclass(slots=True)
class _Anchors:
    """What date anaphora count from, as the text goes on: the last event date, the last one of a day or a month
    ('a month earlier' than 'in early 2020' says nothing; than 'on Aug. 3' it does), the last day of a report."""

    previous: DateWindow | None
    finer: DateWindow | None = None
    reported: DateWindow | None = None

    def note(self, window: DateWindow | None, reporting: bool) -> None:
        if window is None:
            return
        if not reporting:
            self.previous = window
            if window.precision in ("day", "month"):
                self.finer = window
        elif window.precision == "day":
            self.reported = window

    def for_rule(self, rule: str, groups: dict[str, str | None], ref: date | None) -> DateWindow | None:
        previous, rel = self.previous, groups.get("rel")
        coarse = previous is None or previous.precision not in ("day", "month")
        if rule == "anaphoric_span" and coarse and groups.get("unit") != "year":
            return self.finer
        if previous is None and rule == "anaphoric_day" and rel is not None and not _counts_forward(rel):
            # Wire copy counts back from its own report: "the JCS said Friday ... at 6 a.m. the previous day",
            # "SEOUL, Aug. 3 (Yonhap) -- ... earlier in the day".
            return self.reported if self.reported is not None else (_day(ref) if ref is not None else None)
        return previous


def _resolved(
    text: str, found: list[tuple[int, int, str, re.Match[str]]], ref: date | None, anchors: _Anchors
) -> list[DateMention]:
    """One span's finds, in text order, as date mentions resolved against `ref` and `anchors` (updated as they go)."""
    out: list[DateMention] = []
    for s, e, rule, m in sorted(found, key=lambda f: f[0]):
        anchor = anchors.for_rule(rule, m.groupdict(), ref)
        try:
            window = _resolve(rule, m, ref, anchor)
        except (ValueError, OverflowError):  # a date outside the calendar ("Feb. 30", year 1 minus a week)
            window = None
        before = text[max(0, s - 60) : s]
        reporting = bool(_REPORTING_BEFORE.search(before)) or bool(_DATELINE_AFTER.match(text[e : e + 40]))
        # "since <date>" and "in the past week" bound a period; they do not date an event.
        since = (
            bool(re.search(r"\bsince\s+(?:the\s+)?$", before, re.IGNORECASE))
            or (m.groupdict().get("prep") or "").lower() == "since"
            or rule == "past_span"
        ) and not re.match(r",\s*when\b", text[e : e + 8])
        out.append(DateMention(s, e, text[s:e], rule, window, reporting, since))
        anchors.note(window, reporting)
    return out
