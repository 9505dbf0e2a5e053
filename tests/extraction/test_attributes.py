"""Attributes of one stretch of text: group size, actor, places and crossings, origin, destination, method, arms,
outcome."""

from __future__ import annotations

import pytest

from app.extraction import attributes as attrs
from app.extraction.lexicon import gazetteer


def best_size(text: str) -> tuple[int | None, int | None, int | None] | None:
    """The size assembly would pick: the best-ranked rule, then the earliest."""
    from app.extraction.assemble import _SIZE_RULE_RANK

    found = [f for f in attrs.group_sizes(text, 0, len(text)) if f.rule in _SIZE_RULE_RANK]
    if not found:
        return None
    return min(found, key=lambda f: (_SIZE_RULE_RANK[f.rule], f.start)).value  # type: ignore[no-any-return]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("A unit of six border guards crossed the river.", (6, None, None)),
        ("A family of five crossed the Mekong.", (5, None, None)),
        ("Two soldiers and a civilian were caught.", (3, None, None)),
        ("Six North Korean soldiers fled.", (6, None, None)),
        ("The parents and their three children crossed.", (5, None, None)),
        ("He fled with his wife, son and four other sailors.", (7, None, None)),
        ("Hwang and his aide Kim Duk-hong walked into the embassy.", (2, None, None)),
        ("Twelve women arrived together with their male manager.", (13, None, None)),
        ("More than 10 players vanished in Nairobi.", (None, 11, None)),
        ("At least four soldiers crossed.", (None, 4, None)),
        ("Dozens of North Koreans were found.", (None, 24, None)),
        ("About 20 North Koreans walked across the desert.", (20, 18, 22)),
        ("A man crossed the border.", (1, None, None)),
        ("Thirteen players and the team doctor disappeared.", (14, None, None)),
        ("Sixteen people fled the country.", (16, None, None)),
        ("A woman in her forties and her 16-year-old son were arrested.", (2, None, None)),
        ("She and four other North Koreans were sent back.", (5, None, None)),
        ("Six armed Chinese hijackers seized an airliner.", (6, None, None)),
        ("The boat was towed to port, a JCS official said.", None),  # the speaker
        ("A senior party official defected.", (1, None, None)),
    ],
)
def test_group_sizes(text: str, expected: tuple[int | None, int | None, int | None] | None) -> None:
    assert best_size(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "He was shot at least five times.",  # not people
        "About 20 warning shots were fired.",
        "The 24-year-old man fled.",  # an age
        "They walked for two days and 30 km.",
    ],
)
def test_counts_that_are_not_people(text: str) -> None:
    found = attrs.group_sizes(text, 0, len(text))
    assert all(f.value[0] in (None, 1) and f.value[1] in (None, 1) for f in found), found


@pytest.mark.parametrize(
    "text",
    [
        "A soldier who deserted shot dead four villagers.",  # victims
        "He left behind his wife and two children.",  # left behind
        "The group included at least four children.",  # part of the group
        "Two other crew members tried to flee.",  # other people
    ],
)
def test_counts_of_other_people_are_not_the_group(text: str) -> None:
    from app.extraction.assemble import _SIZE_RULE_RANK

    ranked = [f for f in attrs.group_sizes(text, 0, len(text)) if f.rule in _SIZE_RULE_RANK and f.value[0]]
    assert all(f.value[0] <= 1 for f in ranked if f.rule in ("count_noun", "conjoined", "companions")), ranked


@pytest.mark.parametrize(
    ("alias", "canonical"),
    [
        ("Amnok River", "Yalu River"),
        ("Yalu", "Yalu River"),
        ("Amnok", "Yalu River"),
        ("Duman River", "Tumen River"),
        ("Tumen", "Tumen River"),
        ("Panmunjom", "Joint Security Area"),
        ("JSA", "Joint Security Area"),
        ("DMZ", "Military Demarcation Line"),
        ("NLL", "Northern Limit Line"),
        ("Deep Bay", "Deep Bay"),
        ("Berlin Wall", "Berlin Wall"),
    ],
)
def test_crossing_aliases(alias: str, canonical: str) -> None:
    kind, value = gazetteer().lookup(alias)  # type: ignore[misc]
    assert kind == "crossing" and value.name == canonical


@pytest.mark.parametrize(
    ("alias", "canonical", "country"),
    [
        ("Ryanggang", "Ryanggang", "PRK"),
        ("Yanggang Province", "Ryanggang", "PRK"),
        ("Yanggang", "Ryanggang", "PRK"),
        ("Hyesan-si", "Hyesan", "PRK"),
        ("Chagang", "Jagang", "PRK"),
        ("Sinuiju", "Sinuiju", "PRK"),
        ("Dandong", "Dandong", "CHN"),
        ("Gyodong Island", "Gyodong Island", "KOR"),
    ],
)
def test_place_aliases(alias: str, canonical: str, country: str) -> None:
    kind, place = gazetteer().lookup(alias)  # type: ignore[misc]
    assert kind == "place" and place.name == canonical and place.country == country


def test_gazetteer_finds_possessives_and_longest_names() -> None:
    text = "Eritrea's team left the Duman River near North Hamgyong Province."
    hits = [(h.text, h.kind) for h in gazetteer().find(text, 0, len(text))]
    assert hits == [("Eritrea", "place"), ("Duman River", "crossing"), ("North Hamgyong Province", "place")]


@pytest.mark.parametrize("repeat", [1, 12])  # a phrase, and a document (tokenised whole)
@pytest.mark.parametrize("city", ["Diyarbakır", "Şanlıurfa", "Elazığ"])
def test_gazetteer_finds_names_with_dotless_i(city: str, repeat: int) -> None:
    # Documents are lower-cased with dotless i folded to i (as case-insensitive matching takes it); names are too.
    text = f"The two men travelled on to {city} before they crossed. " * repeat
    hits = [h.text for h in gazetteer().find(text, 0, len(text))]
    assert hits == [city] * repeat


@pytest.mark.parametrize(
    ("text", "origin"),
    [
        ("Six North Korean soldiers crossed the river.", "PRK"),
        ("Ten members of Eritrea's national football team refused to go home.", "ERI"),
        ("A Cuban pilot flew to Florida.", "CUB"),
        ("North Korean troops shot dead a South Korean fisheries official.", "KOR"),  # the troops are not the escapees
        ("A student from the North Korean border city of Hyesan waded across.", "PRK"),
        ("57 East Germans crawled through a tunnel.", "DDR"),
        ("A Belarusian sprinter who refused to fly home from the Tokyo Olympics reached Warsaw.", "BLR"),
    ],
)
def test_origins(text: str, origin: str) -> None:
    found = attrs.origins(text, 0, len(text))
    assert found and found[0].value == origin


@pytest.mark.parametrize(
    ("text", "origin", "destination"),
    [
        ("Six guards crossed the frozen Yalu River into China.", "PRK", "CHN"),
        ("A soldier defected to South Korea.", "PRK", "KOR"),
        ("The man swam across the estuary to the North.", "KOR", "PRK"),  # a reverse defection stays explicit
        ("Ten players are seeking asylum in Botswana.", "ERI", "BWA"),
        ("Two men asked for asylum in the United States.", "RUS", "USA"),
        ("He walked into the South Korean embassy in Beijing.", "PRK", "KOR"),
        ("They want to go to South Korea, police said.", "PRK", "KOR"),
        ("Seven players disappeared from their hotel in the Ugandan town of Jinja.", "ERI", "UGA"),
        ("They were sent back to North Korea.", "PRK", None),  # a repatriation is not a destination
        ("He fled to avoid being sent to fight in Ukraine.", "RUS", None),
        ("The acting ambassador to Kuwait left his post.", "PRK", None),  # a posting, not a destination
        ("Four players failed to return from a tournament in Kigali, Rwanda.", "ERI", "RWA"),
        ("The captain flew his MiG-19 fighter south.", "PRK", "KOR"),
        ("A pilot did fly a MiG-19 to the South again in 1996.", "PRK", "KOR"),
    ],
)
def test_destinations(text: str, origin: str, destination: str | None) -> None:
    found = attrs.destinations(text, 0, len(text), origin)
    assert (found[0].value if found else None) == destination


@pytest.mark.parametrize(
    ("text", "method"),
    [
        ("He swam around the eastern end of the border wearing a wetsuit.", "swim"),
        ("They crossed in a small wooden boat.", "sea"),
        ("He flew his MiG-21 across the strait.", "air"),
        ("He waded across the river.", "river"),
        ("He ran across the DMZ under fire.", "dmz"),
        ("They crawled through a tunnel under the wall.", "other"),
        ("The players failed to return to the team hotel after the tournament.", "abroad"),
        ("He crossed the border on foot.", "land"),
        ("The Coast Guard stopped 14 Cubans aboard a raft made from foam and plywood.", "sea"),  # foam of a raft
    ],
)
def test_method_cues(text: str, method: str) -> None:
    assert method in {f.value for f in attrs.methods(text, 0, len(text))}


def test_method_cues_ignore_return_flights() -> None:
    text = "The boxers were flown back to Havana and the diplomat flew to Seoul."
    assert "air" not in {f.value for f in attrs.methods(text, 0, len(text))}


@pytest.mark.parametrize(
    ("text", "actor"),
    [
        ("Six border guards fled.", "soldier"),
        ("Two fishermen drifted south.", "fisher"),
        ("The deputy ambassador defected.", "diplomat"),
        ("Three construction workers slipped out.", "worker"),
        ("A 26-year-old infielder left the team.", "athlete"),
        ("An engineering student waded across.", "student"),
        ("A senior party official fled.", "official"),
        ("A woman and her daughters crossed.", "civilian"),
        ("A former gymnast vaulted the fence.", "civilian"),  # no longer an athlete
        ("Four members of the women's national team failed to return.", "athlete"),
    ],
)
def test_actor_nouns(text: str, actor: str) -> None:
    assert next(f.value for f in attrs.actors(text, 0, len(text))) == actor


@pytest.mark.parametrize(
    "text",
    [
        "a South Korean defence ministry official said",  # the speaker
        "the U.S. Coast Guard said",
        "a former Red Guard",
        "a senior officer said on Thursday",  # a police speaker
        "she spent the night under police guard",
    ],
)
def test_people_who_are_not_actors(text: str) -> None:
    assert [f.value for f in attrs.actors(text, 0, len(text)) if f.value not in ("civilian",)] == []


def test_the_workers_party_is_no_worker() -> None:
    text = "a former secretary of the ruling Workers' Party"
    assert "worker" not in {f.value for f in attrs.actors(text, 0, len(text))}


@pytest.mark.parametrize(
    ("text", "noun", "agent"),
    [
        ("North Korean border guards shot and killed a man.", "guards", True),
        ("He was spotted by South Korean soldiers.", "soldiers", True),
        ("Mongolian border guards picked up the group.", "guards", True),
        ("Chinese police arrested them.", "police", True),
        ("Two soldiers were shot dead by their comrades.", "soldiers", False),
        ("A North Korean soldier crossed the line.", "soldier", False),
    ],
)
def test_agents(text: str, noun: str, agent: bool) -> None:
    start = text.index(noun)
    assert attrs.is_agent(text, start, start + len(noun), "PRK") is agent


@pytest.mark.parametrize(
    ("text", "armed"),
    [
        ("Six guards carrying AK-47 rifles fled.", True),
        ("The man, armed with a rifle, slipped across.", True),
        ("He was unarmed, officials said.", False),
        ("He was not carrying a weapon.", False),
        ("The private did not carry a firearm, a source said.", False),
        ("He left his rifle and kit in the barracks.", False),
        ("He left his base without his weapon.", False),
        ("Four guards opened fire with pistols.", None),  # the guards' arms, not the escapee's
    ],
)
def test_armed(text: str, armed: bool | None) -> None:
    found = attrs.armed(text, 0, len(text))
    values = {f.value for f in found}
    if armed is None:
        assert values == set()
    elif armed:
        assert values == {True}
    else:
        assert False in values


@pytest.mark.parametrize(
    ("text", "outcome"),
    [
        ("Two soldiers were shot dead by their comrades.", "killed"),
        ("Guards shot and killed a man.", "killed"),
        ("They were handed back to the North.", "repatriated"),
        ("They were caught by a patrol.", "caught"),
        ("He later went back to Pyongyang.", "returned"),
        ("He defected and arrived safely.", "crossed"),
    ],
)
def test_outcome_cues(text: str, outcome: str) -> None:
    assert outcome in {f.value for f in attrs.outcomes(text, 0, len(text))}


def test_a_killer_is_not_killed() -> None:
    text = "A deserter shot dead four villagers during a robbery."
    assert "killed" not in {f.value for f in attrs.outcomes(text, 0, len(text))}
