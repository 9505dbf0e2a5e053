"""Stage 3a, attributes: what one stretch of text says about group size, actor, route, method, arms and outcome.

Each finder returns `Found` values carrying the span they came from and the rule that fired, so every field of an
incident can be traced back to the article's words.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable
from functools import cache, lru_cache, wraps
from typing import Any, TypeVar

from app.extraction.lexicon import Crossing, GazetteerHit, WordPattern, compile_ci, gazetteer, lexicon
from app.extraction.types import Found, Place

_F = TypeVar("_F", bound=Callable[..., list[Any]])


def _per_span(finder: _F) -> _F:
    """Memoise a finder per (document, span, ...): assembly asks about the same sentences several times. Callers get
    a fresh list each time."""
    cached = lru_cache(maxsize=2048)(finder)

    @wraps(finder)
    def wrapper(*args: Any) -> list[Any]:
        return list(cached(*args))

    wrapper.cache_clear = cached.cache_clear  # type: ignore[attr-defined]
    _SPAN_FINDERS.append(cached)
    return wrapper  # type: ignore[return-value]


_SPAN_FINDERS: list[Any] = []


def clear_caches() -> None:
    """Forget the per-span results of the previous document (extraction calls this for each new one)."""
    for finder in _SPAN_FINDERS:
        finder.cache_clear()


# Up to four modifiers between a number and its noun ("six North Korean border soldiers"), but no function words,
# no other numbers and no units, so "6-7 dead as armed men" does not count seven men and "two years ago, four
# players" counts four.
_ADJ = (
    r"(?:(?!(?:as|and|or|of|in|on|at|to|from|with|by|the|were|was|are|is|who|that|had|have|has|for|after|before|"
    r"while|when|than|killed|dead|injured|wounded|ago|years?|months?|weeks?|days?|hours?|times)\b)[\w'\"-]+\s+){0,4}?"
)
_UNITS_AFTER = re.compile(
    r"^\s*(?:-?\s*years?|-year|years|months|days|hours|km|kilomet|metres|meters|-metre|-meter|miles|%|percent|times|"
    r"a\.m|p\.m|o'clock|per\s+cent|degrees|tonnes|tons|kg|minutes|nights|(?:st|nd|rd|th)\b)",
    re.I,
)
# Counts qualified by these are vague bounds, handled by their own rules ("more than 10 players" is at least 11).
_VAGUE_BEFORE = re.compile(
    r"\b(?:more\s+than|over|at\s+least|upwards\s+of|about|around|some|roughly|approximately|nearly|almost|up\s+to|"
    r"fewer\s+than|less\s+than|under)\s+$",
    re.I,
)
# Counts that are the object of a verb are other people: "shot dead four villagers", "left his two sons behind",
# "including four children" (a part of the group, not all of it).
_OBJECT_BEFORE = re.compile(
    r"\b(?:killed|killing|kill|murdered|murdering|shot|shooting|wounded|wounding|injured|injuring|stabbed|attacked|"
    r"robbed|hit|left|leaving|abandoned|including|included|includes|among\s+them|among|dead|of\s+the|and\s+the|"
    r"rescued\s+by|caught\s+by|arrested\s+by|by)\s+(?:dead\s+)?(?:his|her|their|its)?\s*$"
    r"|\b(?:left|leaving|abandoned)\s+(?:behind\s+)?(?:his|her|their)\s+(?:[\w-]+\s+){0,3}?$",
    re.I,
)
_VICTIM_BEFORE = re.compile(
    r"\b(?:killed|killing|murdered|murdering|shot|shooting|wounded|injured|stabbed|attacked|robbed|by)\s+"
    r"(?:dead\s+)?(?:a|an|the|two|three|four|five|several|his|her|their)?\s*$",
    re.I,
)
_ENFORCER_BEFORE = re.compile(
    r"\b(?:guards?|troops|police|soldiers|patrols?|forces|authorities|militia|marines|coast\s*guard)\s+(?:[\w-]+\s+){0,2}$",
    re.I,
)


def is_victim(text: str, start: int) -> bool:
    """'killed a Chinese couple': people an escapee acted on. When guards or troops do the shooting ('troops shot
    dead a South Korean official'), the one shot is the escapee."""
    before = text[max(0, start - 30) : start]
    m = _VICTIM_BEFORE.search(before)
    if m is None:
        return False
    verb_at = max(0, start - 30) + m.start()
    return _ENFORCER_BEFORE.search(text[max(0, verb_at - 40) : verb_at]) is None


_OTHERS = re.compile(r"\b(?:other|others|fellow|more|further|additional|remaining)\b", re.I)


@cache
def _nouns() -> tuple[str, str]:
    """(plural person nouns, singular person nouns) as regex alternations, longest first."""
    lex = lexicon()
    plural_like = ("s", "men", "people", "crew", "children", "troops", "staff", "youth")
    nouns = sorted(lex.person_nouns, key=len, reverse=True)
    plurals = [n for n in nouns if n.endswith(plural_like)]
    singulars = [n for n in nouns if not n.endswith(plural_like) or n.endswith(("ss", "us"))]
    demonym_plurals = [d for d in sorted(gazetteer().demonyms, key=len, reverse=True) if d.endswith("s")]

    def alternation(words: list[str]) -> str:
        # Multi-word nouns may be broken over a line in scraped text ("16 North\nKoreans").
        return "|".join(re.escape(w).replace(r"\ ", r"\s+") for w in words)

    plural = alternation(
        [*plurals, *demonym_plurals, "defections", "desertions", "crew members", "family members", "relatives"]
    )
    singular = alternation([*singulars, "solder", "serviceman", "pilot", "defector", "escapee"])
    return plural, singular


@cache
def _number_alternation() -> str:
    words = sorted((w for w in lexicon().number_words if w not in ("a", "an", "lone")), key=len, reverse=True)
    return r"(?P<n>\d{1,3}(?![\d,.]\d)|" + "|".join(re.escape(w) for w in words) + ")"


@cache
def _size_patterns() -> list[tuple[str, re.Pattern[str]]]:
    number = _number_alternation()
    plural, _singular = _nouns()
    group = r"(?:unit|group|family|team|party|band|squad|crew|total|gang|boatload|contingent)"
    return [
        (
            "group_of",
            compile_ci(
                rf"\b(?:a|the|an)\s+(?:[\w-]+\s+){{0,3}}?{group}\s+of\s+{number}\b(?!\s*(?:years?|-year|%))", re.I
            ),
        ),
        ("n_of_the_m", compile_ci(rf"\b{number}\s+of\s+(?:the|them|those|these)\b", re.I)),
        ("count_noun", compile_ci(rf"\b{number}\s+{_ADJ}(?:{plural})\b", re.I)),
        # "The 13 reached Seoul", "the nine, aged between 15 and 23, had crossed": a count standing for people
        # already introduced.
        (
            "the_n",
            compile_ci(
                rf"\b(?:the|all|these|those)\s+{number}\b(?=\s*,|\s+(?:were|was|had|have|are|all|then|later|"
                rf"reached|arrived|left|crossed|fled|told|said|asked|swam|walked|waded|managed|made|took|spent|"
                rf"remain|remained|escaped|defected|reportedly|who|[a-z]+ed\b))",
                re.I,
            ),
        ),
    ]


@cache
def _singular_pattern() -> re.Pattern[str]:
    _plural, singular = _nouns()
    return compile_ci(rf"\b(?:a|an|one|another|the)\s+{_ADJ}(?:{singular})\b")


@cache
def _group_noun_pattern() -> re.Pattern[str]:
    nouns = "|".join(re.escape(n) for n in lexicon().group_nouns)
    return compile_ci(rf"\b(?:a|the|their|his|her)\s+(?:[\w-]+\s+){{0,2}}?(?P<noun>{nouns})\b")


@cache
def _vague_patterns() -> list[tuple[str, re.Pattern[str], int | None, int | None]]:
    """'dozens of soldiers', 'several North Koreans': (phrase, pattern, min, max) for each vague count."""
    plural = _nouns()[0]
    out = []
    for phrase, (low, high) in lexicon().vague_counts.items():
        if phrase in ("a group of", "many"):
            continue
        out.append((phrase, compile_ci(rf"\b{re.escape(phrase)}\s+{_ADJ}(?:{plural})\b"), low, high))
    return out


@cache
def _vague_gate() -> re.Pattern[str]:
    """Where any vague-count pattern matches, this matches too (its phrase, then a space): most spans have none."""
    phrases = "|".join(re.escape(phrase) for phrase, _pattern, _low, _high in _vague_patterns())
    return compile_ci(rf"\b(?:{phrases})\s") if phrases else re.compile(r"(?!)")


@cache
def _bound_patterns() -> tuple[re.Pattern[str], re.Pattern[str]]:
    """'more than 10 players', 'about 20 North Koreans', 'more than 20 were caught': bounds on a count of people."""
    plural = _nouns()[0]
    people = rf"(?=\s+{_ADJ}(?:{plural})\b|\s+(?:of\s+them|were|had|have|are|died|crossed|fled|escaped|defected)\b)"
    number = r"(?P<n>\d{1,3}(?![\d,.]\d)|[a-z]+)"
    more = compile_ci(rf"\b(?:more\s+than|over|at\s+least|upwards\s+of)\s+{number}{people}")
    about = compile_ci(rf"\b(?:about|around|some|roughly|approximately|nearly|almost)\s+{number}{people}")
    return more, about


_TITLED_NAME = WordPattern(
    r"\b(?:Lt|Lieutenant|Capt|Captain|Sgt|Sergeant|Cpl|Corporal|Pvt|Private|Maj|Major|Col|Colonel|Mr|Ms|Mrs|Dr)"
    r"\.?\s+[A-Z][a-z]+(?:[\s-][A-Z][a-z]+){0,3}"
)
_KIN = frozenset(
    [
        "wife",
        "husband",
        "son",
        "daughter",
        "mother",
        "father",
        "brother",
        "sister",
        "friend",
        "child",
        "baby",
        "grandmother",
        "grandfather",
        "nephew",
        "niece",
        "girlfriend",
        "boyfriend",
        "fiancee",
        "fiance",
        "cousin",
        "aide",
        "assistant",
        "colleague",
        "bodyguard",
        "driver",
        "manager",
        "secretary",
        "interpreter",
        "guide",
        "uncle",
        "aunt",
        "mother-in-law",
        "father-in-law",
        "son-in-law",
        "daughter-in-law",
        "stepson",
        "stepdaughter",
        "granddaughter",
        "grandson",
        "deputy",
        "companion",
        "partner",
    ]
)
_KIN_PLURAL = frozenset(
    [
        "children",
        "sons",
        "daughters",
        "kids",
        "family",
        "relatives",
        "crew",
        "parents",
        "brothers",
        "sisters",
        "friends",
        "cousins",
        "aides",
        "colleagues",
        "grandchildren",
    ]
)
_COMPANION_LEAD = re.compile(
    r"\b(?:with|along\s+with|together\s+with|accompanied\s+by|packed|took|brought)\s+(?:his|her|their)\s+"
    r"|\b(?:he|she|[A-Z][a-z]+)\s+and\s+(?:his|her|a|an)\s+"
    # "a woman in her forties and her 16-year-old son"
    r"|\b(?:[Ww]oman|[Mm]an|[Mm]other|[Ff]ather|[Gg]irl|[Bb]oy|[Ss]oldier|[Dd]efector|[Ff]isherman)"
    r"\s+(?:in|from|of|aged)\s+[^,.;]{1,30}?\s+and\s+(?:his|her)\s+"
    # "she and four other North Koreans"
    r"|\b(?:[Hh]e|[Ss]he)\s+and\s+(?=(?:\d{1,2}|two|three|four|five|six|seven|eight|nine|ten)\s+(?:other|more)\b)",
)
_COMPANION_ITEM = re.compile(
    r"(?:(?P<n>\d{1,2}|two|three|four|five|six|seven|eight|nine|ten)\s+)?(?P<words>(?:[\w'-]+\s+){0,2}[\w'-]+)"
)
_NAME_AFTER = re.compile(r"\s+[A-Z][\w'-]+(?:[\s-][A-Z][\w'-]+){0,2}")


def _number(token: str) -> int | None:
    token = token.lower().strip()
    if token.isdigit():
        return int(token)
    return lexicon().number_words.get(token)


def _companions(text: str, start: int, end: int, counts: list[Found]) -> list[Found]:
    """'...with his wife, son and four other sailors' counts the subject plus everyone listed; 'Twelve women...
    together with their male manager' counts the twelve plus the manager."""
    out = []
    for lead in _COMPANION_LEAD.finditer(text, start, end):
        pos, total, exact, counted = lead.end(), 0, True, False
        for _ in range(8):
            m = _COMPANION_ITEM.match(text, pos, end)
            if m is None:
                break
            n = _number(m.group("n")) if m.group("n") else None
            # The item's noun: the first kin or companion word ("his male manager", "two young sons").
            words = list(re.finditer(r"[\w'-]+", m.group("words")))
            head = next((w for w in words if w.group(0).lower() in _KIN or w.group(0).lower() in _KIN_PLURAL), None)
            if head is None and n is not None and words:
                head = words[-1]
            if head is None:
                break
            noun = head.group(0).lower()
            if n is not None and n < 100:
                total += n
            elif noun in _KIN:
                total += 1
            else:
                total += 2
                exact = False
            counted = True
            pos = m.start("words") + head.end()
            name = _NAME_AFTER.match(text, pos, end)
            if name is not None and noun in _KIN:
                pos = name.end()  # "his aide Kim Duk-hong"
            sep = re.match(r"\s*(?:,\s*(?:and\s+)?|and\s+)(?:(?:his|her|their|a|an)\s+)?", text[pos:end])
            if sep is None:
                break
            pos += sep.end()
        if not counted:
            continue
        # The subject: a count of people just before in the same clause, else one person.
        subject = 1
        before = [c for c in counts if c.end <= lead.start() and lead.start() - c.end < 200 and c.value[0]]
        if before and lead.group(0).lower().startswith(("with", "along", "together", "accompanied")):
            subject = int(before[-1].value[0])
        value = (subject + total, None, None) if exact else (None, subject + total, None)
        s = before[-1].start if subject > 1 else lead.start()
        out.append(Found(value, s, pos, "companions" if exact else "companions_min", text[s:pos]))
    return out


_BROUGHT = compile_ci(
    r"\b(?:packed|took|brought|flew|carried|smuggled|picked\s+up)\s+(?P<n>\d{1,2}|[a-z]+)\s+(?:[\w-]+\s+){0,2}?"
    r"(?:relatives|family\s+members|passengers|people|children|friends|others)\b"
)


def _conjoined(text: str, found: list[Found]) -> list[Found]:
    """'two soldiers and a civilian', 'the parents and their three children': people joined by 'and' add up."""
    people = sorted(
        (f for f in found if f.rule in ("count_noun", "singular", "group_noun") and f.value[0]), key=lambda f: f.start
    )
    out = []
    for left, right in itertools.pairwise(people):
        between = text[left.end : right.start]
        if re.fullmatch(r"\s*(?:,\s*)?and\s+(?:(?:his|her|their)\s+)?", between, re.I) or re.fullmatch(
            r"\s+and\s+", between
        ):
            total = int(left.value[0]) + int(right.value[0])
            out.append(Found((total, None, None), left.start, right.end, "conjoined", text[left.start : right.end]))
    return out


def _is_speaking_official(text: str, end: int, phrase: str) -> bool:
    noun = phrase.rsplit(None, 1)[-1].lower()
    return lexicon().person_nouns.get(noun) == "official" and _SPEAKER_AFTER.match(text, end, end + 25) is not None


def _is_object_or_part(text: str, start: int) -> bool:
    return bool(_OBJECT_BEFORE.search(text[max(0, start - 30) : start]))


@_per_span
def group_sizes(text: str, start: int, end: int) -> list[Found]:
    """Counts of people in text[start:end]: value is (size, min, max)."""
    found: list[Found] = []
    for rule, pattern in _size_patterns():
        pos = start
        while pos < end:
            m = pattern.search(text, pos, end)
            if m is None:
                break
            pos = m.end()
            n = _number(m.group("n"))
            if n is None or n == 0 or _UNITS_AFTER.match(text[m.end("n") : m.end("n") + 12]):
                pos = m.end("n")  # "two years ago, four players": look again after the rejected number
                continue
            if rule != "group_of" and n >= 100:
                continue
            if rule == "count_noun":
                before = text[max(0, m.start() - 30) : m.start()]
                if _VAGUE_BEFORE.search(before):
                    continue
                if _is_object_or_part(text, m.start()) or _OTHERS.search(m.group(0)):
                    found.append(Found((n, None, None), m.start(), m.end(), "others", m.group(0)))
                    continue
            found.append(Found((n, None, None), m.start(), m.end(), rule, m.group(0)))
    found.extend(_companions(text, start, end, [f for f in found if f.rule in ("count_noun", "group_of")]))
    for m in _BROUGHT.finditer(text, start, end):
        n = _number(m.group("n"))
        if n is not None and n < 100:
            found.append(Found((n + 1, None, None), m.start(), m.end(), "companions", m.group(0)))
    if _vague_gate().search(text, start, end) is not None:
        for _phrase, pattern, low, high in _vague_patterns():
            for m in pattern.finditer(text, start, end):
                found.append(Found((None, low, high), m.start(), m.end(), "vague_count", m.group(0)))
    more, about = _bound_patterns()
    for m in more.finditer(text, start, end):
        n = _number(m.group("n"))
        if n is not None and not _UNITS_AFTER.match(text[m.end("n") : m.end("n") + 12]):
            low = n + 1 if m.group(0).lower().startswith(("more", "over")) else n
            found.append(Found((None, low, None), m.start(), m.end(), "more_than", m.group(0)))
    for m in about.finditer(text, start, end):
        n = _number(m.group("n"))
        if n is not None and n >= 5 and not _UNITS_AFTER.match(text[m.end("n") : m.end("n") + 12]):
            found.append(Found((n, round(n * 0.9), round(n * 1.1)), m.start(), m.end(), "about", m.group(0)))
    titled = list(_TITLED_NAME.finditer(text, start, end))
    if len(titled) >= 2 and re.search(r"\band\b", text[titled[0].end() : titled[1].start()]):
        found.append(
            Found(
                (2, None, None),
                titled[0].start(),
                titled[1].end(),
                "two_named",
                text[titled[0].start() : titled[1].end()],
            )
        )
    for m in _singular_pattern().finditer(text, start, end):
        if _is_speaking_official(text, m.end(), m.group(0)):
            continue  # "a JCS official said": who tells the story, not who escaped
        if not _is_object_or_part(text, m.start()) or m.group(0).lower().startswith("a"):
            found.append(Found((1, None, None), m.start(), m.end(), "singular", m.group(0)))
    for m in _group_noun_pattern().finditer(text, start, end):
        if is_victim(text, m.start()):
            continue
        n = lexicon().group_nouns[m.group("noun").lower()]
        found.append(Found((n, None, None), m.start(), m.end(), "group_noun", m.group(0)))
    found.extend(_conjoined(text, found))
    if titled:
        found.append(Found((1, None, None), titled[0].start(), titled[0].end(), "named_person", titled[0].group(0)))
    return sorted(found, key=lambda f: f.start)


_AGENT_VERBS = (
    r"(?:shot|shoot|fired|opened\s+fire|killed|caught|arrested|detained|captured|apprehended|intercepted|spotted|"
    r"found|picked\s+up|rescued|recovered|questioned|stopped|seized|chased|searched|pursued|escorted|towed|"
    r"patrolled|crawled\s+forward|went\s+out|dragged|handed|deported|repatriated|"
    r"(?:failed|tried|rushed|were\s+unable)\s+to\s+(?:catch|stop|detect|spot|capture|intercept|find))"
)
# "North Korean border guards shot and killed a man", "Mongolian border guards picked up...": the noun phrase
# (up to three more words), optional adverbs, then an active verb acting on someone.
_AGENT_AFTER = re.compile(
    rf"^(?:\s+(?!{_AGENT_VERBS}\b|were\b|was\b|are\b|is\b|who\b|had\b|have\b)[\w'-]+){{0,3}}?"
    rf"(?:\s+(?:had|have|has|later|then|also|quickly|finally|reportedly|immediately|on\s+\w+))*\s+{_AGENT_VERBS}\b",
    re.I,
)
_FOREIGN_BEFORE = re.compile(
    r"\b(South\s+Korean|North\s+Korean|Chinese|Russian|American|U\.S\.|UN|Thai|Japanese|Mongolian|Vietnamese|"
    r"Lao|Laotian|Kazakh|Georgian|Norwegian|Ugandan|Kenyan|Brazilian|Ukrainian|Finnish|Cuban|Taiwanese|Eritrean)"
    r"\s+(?:[\w-]+\s+){0,2}$"
)


_EVADED_BEFORE = re.compile(
    r"\b(?:evad(?:ed|ing)|elud(?:ed|ing)|dodg(?:ed|ing)|outr[au]n|slipped\s+past|escaped\s+from|fled\s+from)\s+"
    r"(?:[\w'.-]+\s+){0,3}$",
    re.I,
)


def is_agent(text: str, start: int, end: int, origin: str | None = None) -> bool:
    """'spotted by South Korean soldiers', 'Chinese police arrested...', 'four guards opened fire': people who act on
    the escapees, not the escapees. With a known origin, people of another nationality are not the escapees either."""
    before = text[max(0, start - 40) : start]
    if re.search(r"\bby\s+(?:[\w'.-]+\s+){0,3}$", before, re.I):
        return True
    if _EVADED_BEFORE.search(before):
        return True  # "evaded South Korean troops": whom they got away from
    if _AGENT_AFTER.match(text[end : end + 80]):
        return True
    foreign = _FOREIGN_BEFORE.search(before)
    if foreign is not None:
        code = gazetteer().demonyms.get(re.sub(r"\s+", " ", foreign.group(1)).lower())
        if origin is None:
            return foreign.group(1) != "North Korean"
        return code != origin
    return bool(re.search(r"\b(?:rescue|search)\s+(?:[\w-]+\s+){0,1}$", before, re.I))


@cache
def _person_noun_pattern() -> re.Pattern[str]:
    nouns = sorted(lexicon().person_nouns, key=len, reverse=True)
    return compile_ci(r"\b(?:" + "|".join(re.escape(n) for n in nouns) + r")\b")


_SPEAKER_AFTER = re.compile(
    r"\s*(?:said|told|says|say|confirmed|added|quoted|familiar|spokes\w+|sources?|statement|briefed|declined|"
    r"did\s+not|could\s+not|estimated?|believe[sd]?)\b",
    re.I,
)
_INSTITUTION_AFTER = re.compile(r"\s*(?:'\s*|s'\s*)?(?:party|union|association|federation|league)\b", re.I)
_POSSESSOR_BEFORE = re.compile(r"(?:'s|s')\s+(?:[\w-]+\s+){0,1}$")
_FORMER_BEFORE = re.compile(
    r"\b(?:former|ex-|retired|onetime|one-time)\s*(?:[\w-]+\s+){0,1}$"
    r"|\b(?:previously|once|formerly)\s+(?:trained|worked|served|competed)\s+as\s+(?:a|an)\s+(?:[\w-]+\s+)?$"
    # "a civilian worker in the North": a civilian, not a labourer sent abroad
    r"|\bcivilian\s+$",
    re.I,
)
# "told officials", "according to the official", "handed back to North Korean officials": people in an object
# position are not the subject of the story.
_OBJECT_POSITION_BEFORE = re.compile(
    r"\b(?:to|by|from|with|told|tell|asked|met|saw|contacted|helped|informed|according\s+to|for|at|toward|towards|"
    r"against|among|approached|pa(?:id|ying)|brib(?:ed|ing)|bought\s+off|tipped\s+off|evaded|evading|eluded|eluding)\s+"
    r"(?:(?:the|a|an|his|her|their|its|some|two|three|several)\s+)?(?:[\w'.-]+\s+){0,3}$",
    re.I,
)


_GUARDED_BEFORE = re.compile(r"\b(?:police|security|prison|under|hotel|private)\s+$", re.I)
# Nouns of people who, followed by "said", are telling the story rather than in it.
_SPEAKER_NOUNS = frozenset(["officer", "officers", "commander", "spokesman", "spokeswoman", "spokesperson"])


def in_object_position(text: str, start: int) -> bool:
    return _OBJECT_POSITION_BEFORE.search(text[max(0, start - 40) : start]) is not None


@_per_span
def actors(text: str, start: int, end: int) -> list[Found]:
    """Kinds of people named in text[start:end] (by their nouns and by context words)."""
    lex = lexicon()
    out = []
    for m in _person_noun_pattern().finditer(text, start, end):
        category = lex.person_nouns.get(m.group(0).lower())
        if category is None:
            continue
        after = text[m.end() : m.end() + 25]
        before = text[max(0, m.start() - 20) : m.start()]
        # "a South Korean defence ministry official said" names who spoke, not who escaped; the "Workers' Party"
        # and "Red Guards" are not workers or soldiers.
        if _GUARDED_BEFORE.search(before) and m.group(0).lower() in ("guard", "guards"):
            continue  # "under police guard", "prison guards": no border guards
        speaker_noun = category == "official" or m.group(0).lower() in _SPEAKER_NOUNS
        if speaker_noun and _SPEAKER_AFTER.match(after):
            continue  # "a senior officer said on Thursday"
        capitalised = text[m.start()].isupper()
        if _INSTITUTION_AFTER.match(after) and capitalised:
            continue
        if capitalised and re.search(r"\b[A-Z][\w.'-]*\s+$", before):
            continue  # part of a name: the Coast Guard, the Red Guards, the National Guard
        if category == "civilian" and after.startswith(("'s", "\u2019s")):
            continue  # "the women's national team": the team, not women as such
        rule = "person_noun"
        if category != "civilian" and _FORMER_BEFORE.search(text, max(0, m.start() - 32), m.start()):
            category, rule = "civilian", "former"  # "a former gymnast" is no longer one
        out.append(Found(category, m.start(), m.end(), rule, text[m.start() : m.end()]))
    for category, pattern in lex.actor_context.items():
        for m in pattern.finditer(text, start, end):
            after = text[m.end() : m.end() + 25]
            before = text[max(0, m.start() - 20) : m.start()]
            # "South Korea's military said", "the army's statement": an institution speaking; "government officials
            # said": speakers (the cue matched the singular).
            if _SPEAKER_AFTER.match(after[1:] if after.startswith("s") else after) or _INSTITUTION_AFTER.match(after):
                continue
            if m.group(0).lower() in ("military", "army", "navy") and (
                _POSSESSOR_BEFORE.search(before) or re.match(r"\s*(?:'s|s')", after)
            ):
                continue
            if _FORMER_BEFORE.search(text, max(0, m.start() - 32), m.start()):
                continue  # "a former gymnast" is no longer one
            out.append(Found(category, m.start(), m.end(), "actor_context", m.group(0)))
    return sorted(out, key=lambda f: f.start)


@_per_span
def places(text: str, start: int, end: int) -> list[GazetteerHit]:
    return gazetteer().find(text, start, end)


@_per_span
def methods(text: str, start: int, end: int) -> list[Found]:
    lex = lexicon()
    out = []
    for method, pattern in lex.method_cues.items():
        for m in pattern.finditer(text, start, end):
            out.append(Found(method, m.start(), m.end(), f"method_{method}", m.group(0)))
    return out


_NEGATED_BEFORE = re.compile(r"\b(?:not|no|never|without|nor)\s+(?:\w+\s+){0,2}$", re.I)


@_per_span
def armed(text: str, start: int, end: int) -> list[Found]:
    lex = lexicon()
    out = [
        Found(False, m.start(), m.end(), "armed_false", m.group(0)) for m in lex.armed_false.finditer(text, start, end)
    ]
    for m in lex.armed_true.finditer(text, start, end):
        if re.match(
            r"\s+(?:forces|services|conflict|police|robbery|guards?|men\b)", text[m.end() : m.end() + 12], re.I
        ):
            continue
        if any(f.start <= m.start() < f.end for f in out):
            continue
        before = text[max(0, m.start() - 30) : m.start()]
        # "was not carrying a weapon"; "guards opened fire with pistols" arms the guards, not the escapees.
        if _NEGATED_BEFORE.search(before) or re.search(
            r"\b(?:fire|fired|shots)\s+(?:with|from)\s+(?:\w+\s+)?$", before
        ):
            continue
        out.append(Found(True, m.start(), m.end(), "armed_true", m.group(0)))
    return sorted(out, key=lambda f: f.start)


@_per_span
def outcomes(text: str, start: int, end: int) -> list[Found]:
    lex = lexicon()
    out = []
    for outcome, pattern in lex.outcome_cues.items():
        for m in pattern.finditer(text, start, end):
            out.append(Found(outcome, m.start(), m.end(), f"outcome_{outcome}", m.group(0)))
    return out


def resolve_place_name(name: str, origin: str | None) -> tuple[str | None, Place | None, Crossing | None]:
    """A capitalised name after 'to'/'into'/'in' -> (country, place, crossing)."""
    gaz = gazetteer()
    lex = lexicon()
    words = name.split()
    for n in range(len(words), 0, -1):
        candidate = " ".join(words[:n])
        directional = lex.directional.get(("the " + candidate).lower()) or lex.directional.get(candidate.lower())
        if directional:
            return directional, None, None
        hit = gaz.lookup(candidate)
        if hit is None:
            continue
        kind, value = hit
        if kind == "country":
            return str(value), None, None
        if kind == "demonym":  # "the Ugandan town of Jinja", "the South Korean embassy", "the Chinese mainland"
            return str(value), None, None
        if kind == "place":
            return value.country, value, None
        if kind == "crossing":
            other = [c for c in value.sides if c != origin]
            return (other[0] if len(other) == 1 else None), None, value
        return None, None, None
    return None, None, None


# Rules for where people went, best first: what they aimed for and reached beats where they went missing.
DESTINATION_RANK = {
    "aim": 0,
    "eventually_to": 0,
    "back_to": 0,
    "returned_north": 0,
    "asylum_in": 1,
    "reach_place": 1,
    "arrived_in": 1,
    "contacted": 1,
    "embassy": 1,
    "to_place": 2,
    "to_the_south": 2,
    "safety_in": 2,
    "stay_in": 2,
    "demonym_place": 3,
    "missing_in": 4,
}
_TO_THE_SIDE = WordPattern(
    r"\b(?:to|into|toward|towards|reach(?:ed)?|fled|ran|swam|headed|heading|crossed|went|walked|run|running|flew|sailed|"
    r"drifted)\s+(?:(?:his|her|their|a|an|the)\s+(?:[\w-]+\s+){0,2}?(?:fighter|jet|plane|aircraft|boat|vessel|raft)\s+)?"
    r"(?:the\s+)?(South|North|south|north)\b(?!\s+(?:Korean|Koreans|Korea|of|side|Hamgyong|Pyongan|Hwanghae|Gyeongsang|"
    r"Chungcheong|Jeolla|Ossetia|Macedonia|Sudan))",
)
# "swam back to North Korea", "returned to the North": people going home on their own, a reverse defection when
# home is the country they had fled (the route's consistency check then puts the origin on the other side).
GOING_BACK_RULES = frozenset(("back_to", "returned_north"))
_BACK_BEFORE = re.compile(r"\b(?:back|home|returned|sent|handed|deported|repatriated)\s+(?:[\w-]+\s+){0,3}$", re.I)
# "the acting ambassador to Kuwait", "posted to Rome": where someone served, not where they went.
_POSTING_BEFORE = re.compile(
    r"\b(?:ambassador|envoy|consul|diplomat|minister|attach[eé]|delegation|mission|embassy|posted|assigned|"
    r"stationed|dispatched|accredited)\s+to\s+(?:the\s+)?$",
    re.I,
)


@_per_span
def _destination_candidates(text: str, start: int, end: int) -> list[tuple[int, Found, bool]]:
    """(rank, found, explicit) for every destination phrase in text[start:end], whatever the origin."""
    out: list[tuple[int, Found, bool]] = []
    for rule, pattern in lexicon().destination_patterns:
        for m in pattern.finditer_slice(text, start, end):
            name = m.group("place")
            s = start + m.start("place")
            before = text[max(start, s - 30) : s]
            going_back = rule in GOING_BACK_RULES
            if (_BACK_BEFORE.search(before) and not going_back) or _POSTING_BEFORE.search(before):
                continue  # "sent back to North Korea" is a repatriation, not where they went
            country, _place, crossing = resolve_place_name(name, None)
            if crossing is not None:
                out.append((DESTINATION_RANK.get(rule, 2), Found(crossing, s, s + len(name), rule, name), False))
            elif country:
                explicit = going_back or rule in ("to_place", "aim", "reach_place", "arrived_in")
                out.append((DESTINATION_RANK.get(rule, 2), Found(country, s, s + len(name), rule, name), explicit))
    for m in _TO_THE_SIDE.finditer_slice(text, start, end):
        word = m.group(1).lower()
        if word[0] != m.group(1)[0] and m.group(0).split()[0].lower() in ("to", "into", "toward", "towards"):
            continue  # "to the south of the city"
        code = "KOR" if word == "south" else "PRK"
        s = start + m.start(1)
        lower_case = m.group(1)[0].islower()
        out.append(
            (2, Found(code, s, s + len(m.group(1)), "to_the_south" if not lower_case else "south", m.group(0)), True)
        )
    return out


def destinations(text: str, start: int, end: int, origin: str | None) -> list[Found]:
    """Countries people went to, from 'to China', 'into South Korea', 'asylum in Tanzania', 'to the South', best
    first. A destination equal to `origin` is kept only when it is explicit (a reverse defection)."""
    out: list[tuple[int, Found]] = []
    for rank, found, explicit in _destination_candidates(text, start, end):
        value = found.value
        if isinstance(value, Crossing):  # a crossing named as where they went: its far side
            others = [c for c in value.sides if c != origin]
            if len(others) != 1:
                continue
            found = Found(others[0], found.start, found.end, found.rule, found.text)
        if found.rule == "south":
            if origin not in ("PRK", "KOR"):
                continue  # "fled south" means the South only on the peninsula
            found = Found(found.value, found.start, found.end, "to_the_south", found.text)
        if found.value != origin or explicit:
            out.append((rank, found))
    return [f for _, f in sorted(out, key=lambda r: (r[0], r[1].start))]


@cache
def _person_after_demonym() -> re.Pattern[str]:
    nouns = sorted((n for n in lexicon().person_nouns), key=len, reverse=True)
    extra = [
        "nationals?",
        "citizens?",
        "defectors?",
        "pilots?",
        "team",
        "national\\s+team",
        "squad",
        "club",
        "delegation",
        "air\\s+force",
        "army",
        "navy",
        "military\\s+(?:pilot|officer|personnel)",
        "crew",
        "couple",
        "family",
        "families",
    ]
    alternatives = "|".join([re.escape(n) for n in nouns] + extra)
    return re.compile(rf"^\s+(?:[\w'\",-]+\s+){{0,3}}?(?:{alternatives})\b", re.I)


def _is_speaking_authority(text: str, end: int, phrase: str) -> bool:
    """`_is_speaking_official`, for commanders, police, ministries and sources too."""
    noun = phrase.rsplit(None, 1)[-1].lower()
    if noun not in _SPEAKER_NOUNS and noun not in _AUTHORITIES:
        return _is_speaking_official(text, end, phrase)
    return _SPEAKER_AFTER.match(text, end, end + 25) is not None


_AUTHORITIES = frozenset(["officials", "official", "authorities", "police", "ministry", "media", "sources", "source"])
_POSSESSIVE_COUNTRY = re.compile(
    r"^'s\s+(?:[\w'-]+\s+){0,3}?(?:team|squad|club|army|air\s+force|navy|military|border\s+guards?|soldiers|"
    r"guard|mercenary|mercenaries|forces|troops|marines|regiment|battalion|brigade|"
    r"embassy|delegation|national|under-\d+|diplomats?|workers|athletes|players|envoy|ambassador)\b",
    re.I,
)


@_per_span
def origins(text: str, start: int, end: int) -> list[Found]:
    """Countries people came from, best first: a demonym on the people themselves ('North Korean soldiers',
    'Eritreans'), a possessive ('Cuba's national team'), then 'from <country>'. People acting on the escapees
    ('North Korean troops shot...', 'arrested by Chinese police') do not count."""
    ranked: list[tuple[int, Found]] = []
    for hit in places(text, start, end):
        after = text[hit.end : hit.end + 60]
        if hit.kind == "demonym":
            plural_people = hit.text.endswith("s") and not hit.text.endswith("ss")
            person = _person_after_demonym().match(after)
            if plural_people or person:
                noun_end = hit.end + (person.end() if person else 0)
                if is_agent(text, hit.start, noun_end) or is_victim(text, hit.start):
                    continue
                if person is not None and _is_speaking_authority(text, noun_end, person.group(0)):
                    continue  # "Colombian migration officials said": who tells the story, not who crossed
                ranked.append((0, Found(hit.value, hit.start, hit.end, "demonym", hit.text)))
            continue
        code = hit.value if hit.kind == "country" else None
        if hit.kind == "place" and hit.value.kind == "country":
            code = hit.value.country
        possessive = _POSSESSIVE_COUNTRY.match(after.replace("s'", "'s", 1)) if code is not None else None
        if possessive is not None and not _SPEAKER_AFTER.match(after[possessive.end() :]):
            ranked.append((1, Found(code, hit.start, hit.end, "possessive_country", hit.text)))
    for m in lexicon().origin_patterns.finditer(text[start:end]):
        country, place, _c = resolve_place_name(m.group("place"), None)
        if country:
            s = start + m.start("place")
            # "fled North Korea" names a country; "the team's flight out of Gaborone" only a city left behind.
            rank = 2 if place is None or place.kind == "country" else 3
            ranked.append((rank, Found(country, s, s + len(m.group("place")), "from_country", m.group("place"))))
    return [f for _, f in sorted(ranked, key=lambda r: (r[0], r[1].start))]
