"""Assembly: grouping mentions into incidents and settling each field (route, method, actor, date, size)."""

from __future__ import annotations

from datetime import date

import pytest

from app.extraction import ArticleInput, extract
from app.extraction.assemble import _consistent_route, _summary
from app.extraction.lexicon import gazetteer

PUB = date(2021, 3, 25)


def incidents(text: str, published: date | None = PUB) -> list[dict]:
    article = ArticleInput(text=text, id="t", published=published)
    return [i.as_record(article) for i in extract(article)]


def test_background_incident_with_its_own_date_is_separate() -> None:
    text = (
        "A unit of six North Korean border guards crossed the frozen Yalu River into China on the night of the 2nd.\n\n"
        "Last month, two soldiers from the same brigade were shot dead as they tried to wade across the river."
    )
    found = incidents(text)
    assert [(i["date_start"], i["group_size"], i["outcome"]) for i in found] == [
        ("2021-03-02", 6, "crossed"),
        ("2021-02-01", 2, "killed"),
    ]


def test_sentences_about_the_same_people_join_their_incident() -> None:
    text = (
        "Two Cuban boxers vanished from the Pan American Games in Rio de Janeiro last month.\n\n"
        "The pair were picked up on Thursday and flown back to Havana."
    )
    (only,) = incidents(text)
    assert (only["date_start"], only["date_end"]) == ("2021-02-01", "2021-02-28")
    assert only["outcome"] == "repatriated"


def test_a_later_step_of_the_journey_joins_the_first() -> None:
    text = (
        "A North Korean student waded across the Yalu River into China in November.\n\n"
        "He then travelled south through Laos into Thailand and arrived in Seoul last month."
    )
    (only,) = incidents(text)
    assert only["date_start"] == "2020-11-01"
    assert only["destination_country"] in ("CHN", "KOR")
    assert only["method"] == "river"


def test_a_story_without_demonyms_starts_from_the_country_whose_towns_it_names() -> None:
    text = (
        "A woman and her son were arrested by guards as they tried to cross the Yalu River near Hyesan early this "
        "month, a source in Ryanggang Province said.\n\n"
        "Not every attempt fails. A man in his thirties made it across the river last week after paying a guard, "
        "the source said."
    )
    found = incidents(text, date(2022, 11, 11))
    assert [(i["origin_country"], i["destination_country"], i["crossing"], i["actor"]) for i in found] == [
        ("PRK", "CHN", "Yalu River", "civilian"),
        ("PRK", "CHN", "Yalu River", "civilian"),  # "the river": the one named before; the bribed guard is no actor
    ]


def test_towns_named_without_a_border_give_no_origin() -> None:
    text = (
        "A Busan lawmaker quit the party on Monday to join a rival bloc in Daegu. The new bloc, founded by a "
        "former prime minister, has said it aims to win at least 30 seats and escape the two-party system that has "
        "dominated South Korean politics for decades."
    )
    assert incidents(text) == []


def test_fleeing_again_is_another_incident_of_the_same_person() -> None:
    text = (
        "A woman from Hoeryong said she and four other North Koreans were arrested by Lao police in 2019 after a "
        "broker walked them across the border from China. The five were sent back to the North.\n\n"
        "She fled again in 2021 and reached South Korea the following year."
    )
    found = incidents(text, date(2023, 6, 9))
    assert [(i["date_start"], i["group_size"]) for i in found] == [("2019-01-01", 5), ("2021-01-01", 1)]


def test_other_people_who_tried_later_are_another_incident() -> None:
    text = (
        "A North Korean logging worker who fled a timber camp in Russia in 2019 has reached South Korea. He walked "
        "away from the camp one night and hitchhiked to Khabarovsk.\n\n"
        "Two other loggers from the same camp who tried to flee a few weeks after him were caught at the railway "
        "station in Khabarovsk and sent home."
    )
    found = incidents(text, date(2021, 12, 15))
    assert [(i["group_size"], i["outcome"]) for i in found] == [(1, "crossed"), (2, "repatriated")]


@pytest.mark.parametrize(
    "text",
    [
        "A North Korean man crossed the Military Demarcation Line on the eastern front in Goseong, Gangwon Province, "
        "on Friday and is in military custody, the Joint Chiefs of Staff said Monday.",
        # no new subject after the date: it finishes the clause
        "A North Korean man climbed over the fence of a guard post in Goseong, Gangwon Province, on Friday evening "
        "after crossing the Military Demarcation Line, the Joint Chiefs of Staff said Monday.",
        "A North Korean man swam south along the coast and came ashore near the border in Goseong, early Friday, "
        "before wandering for hours, the military said Monday.",
        "A North Korean soldier who crossed the frozen Tumen River into China broke into homes in a village, on "
        "Friday and robbed them, police said Monday.",
    ],
)
def test_a_date_after_a_comma_that_goes_on_with_the_verb_stays_in_the_clause(text: str) -> None:
    (only,) = incidents(text, date(2025, 4, 14))
    assert only["date_start"] == "2025-04-11"


def test_a_date_after_a_comma_and_a_conjunction_opens_another_incident() -> None:
    text = (
        "In 2009, twelve Eritrean players vanished in Nairobi during a tournament, and in 2012 thirteen players "
        "disappeared in Kampala."
    )
    assert [i["date_start"] for i in incidents(text)] == ["2009-01-01", "2012-01-01"]


def test_a_date_that_completes_its_clause_stays_with_it() -> None:
    text = (
        "A North Korean soldier crossed the border today, officials said.\n\n"
        "The last time a North Korean soldier defected across the MDL was in August last year, when a soldier walked "
        "across in the eastern sector."
    )
    assert [i["date_start"] for i in incidents(text, date(2024, 5, 29))] == ["2024-05-29", "2023-08-01"]


def test_a_background_case_keeps_its_own_person() -> None:
    text = (
        "A North Korean soldier crossed the border on Friday, the military said.\n\n"
        "In 2020, a former gymnast vaulted over the border fence in Goseong and evaded South Korean troops for hours, "
        "an incident that led to the dismissal of several commanders."
    )
    background = incidents(text, date(2025, 4, 14))[-1]
    assert (background["date_start"], background["group_size"], background["actor"]) == ("2020-01-01", 1, "civilian")
    assert (background["origin_country"], background["destination_country"]) == ("PRK", "KOR")


def test_a_new_person_with_a_superlative_is_a_new_incident() -> None:
    text = (
        "A North Korean diplomat defected along with his wife, officials said.\n\n"
        "The most senior diplomat to flee was an ambassador who defected to the United States in 1997."
    )
    assert len(incidents(text)) == 2


@pytest.mark.parametrize(
    ("text", "published", "expected"),
    [
        (  # the relative clause's date closes the earlier event; the main verb tells of the return
            "A North Korean defector who crossed the border fence into South Korea in 2020 crossed back into North "
            "Korea on Saturday, the military said.",
            date(2022, 1, 2),
            [("2020-01-01", "PRK", "KOR", "crossed"), ("2022-01-01", "KOR", "PRK", "crossed")],
        ),
        (  # "The man" is the same person, but going back home is a journey of its own
            "A defector who had fled to the South three years ago is back in his home town.\n\n"
            "The man slipped through a drainage tunnel on Ganghwa Island and swam across the Han River estuary back "
            "to North Korea on July 18, the military said.",
            date(2020, 7, 27),
            [("2017-01-01", "PRK", "KOR", "crossed"), ("2020-07-18", "KOR", "PRK", "crossed")],
        ),
        (  # "sent back" is a repatriation, not a return of one's own
            "A North Korean soldier crossed the Tumen River into China on Monday and was sent back to North Korea.",
            PUB,
            [("2021-03-22", "PRK", "CHN", "repatriated")],
        ),
    ],
)
def test_going_back_home_is_a_reverse_crossing(text: str, published: date, expected: list[tuple]) -> None:  # type: ignore[type-arg]
    found = incidents(text, published)
    got = [(i["date_start"], i["origin_country"], i["destination_country"], i["outcome"]) for i in found]
    assert got == expected


@pytest.mark.parametrize(
    ("text", "origin", "destination", "method"),
    [
        # reverse defection: the explicit destination is the North, so the origin is the South
        (
            "A defector who had lived in the South swam across the Han River estuary to the North on the 18th.",
            "KOR",
            "PRK",
            "swim",
        ),
        ("An American soldier ran across the border into North Korea at Panmunjom on Tuesday.", "KOR", "PRK", "dmz"),
        ("A North Korean soldier walked across the Military Demarcation Line on Tuesday.", "PRK", "KOR", "dmz"),
        ("A Russian soldier who deserted walked across the steppe into Kazakhstan on Saturday.", "RUS", "KAZ", "land"),
        ("A Russian commander crossed into Norway on Friday and is seeking asylum.", "RUS", "NOR", "land"),
        (
            "A North Korean family crossed the Mekong River from Laos into Thailand in a boat on Saturday.",
            "PRK",
            "THA",
            "river",
        ),
        (
            "Ten Eritrean players failed to board their flight after a tournament in Botswana on Thursday.",
            "ERI",
            "BWA",
            "abroad",
        ),
        ("Two Ukrainian men swam across the Tisza River into Romania on Monday.", "UKR", "ROU", "river"),
        ("A Russian soldier who deserted crossed the Narva River into Estonia last week.", "RUS", "EST", "river"),
        # fences and barbed wire outside Korea are a land border; speakers' demonyms are not the origin
        (
            "A former commander with Russia's Wagner mercenary group climbed two barbed-wire fences and crossed the "
            "border into Norway on Friday, Norwegian police said.",
            "RUS",
            "NOR",
            "land",
        ),
        (
            "Three members of Venezuela's National Guard drove through the barriers on a border bridge on Saturday "
            "and crossed into Colombia, Colombian migration officials said.",
            "VEN",
            "COL",
            "land",
        ),
        # Cold War countries, with their demonyms
        (
            "A Czechoslovak hockey player defected in Switzerland on 10 May 1981 after a tournament.",
            "CSK",
            "CHE",
            "abroad",
        ),
        ("Two Yugoslav swimmers defected in Italy on 3 June 1984 during a meet.", "YUG", "ITA", "abroad"),
    ],
)
def test_routes(text: str, origin: str, destination: str, method: str) -> None:
    (found,) = incidents(text)
    assert (found["origin_country"], found["destination_country"], found["method"]) == (origin, destination, method)


@pytest.mark.parametrize(
    ("origin", "destination", "crossing", "expected"),
    [
        ("PRK", "PRK", "Military Demarcation Line", ("KOR", "PRK")),
        ("PRK", "KOR", "Military Demarcation Line", ("PRK", "KOR")),
        ("USA", None, "Joint Security Area", ("KOR", "PRK")),
        ("PRK", "CHN", "Yalu River", ("PRK", "CHN")),
        ("CHN", "CHN", "Deep Bay", ("HKG", "CHN")),
        ("ERI", "ERI", None, ("ERI", None)),
        (None, None, None, (None, None)),
    ],
)
def test_consistent_route(
    origin: str | None, destination: str | None, crossing: str | None, expected: tuple[str | None, str | None]
) -> None:
    value = gazetteer().crossings[crossing] if crossing else None
    assert _consistent_route(origin, destination, value) == expected


@pytest.mark.parametrize(
    ("text", "actor"),
    [
        (
            "North Korean border guards shot and killed a man who was trying to cross the Yalu River on Saturday.",
            "civilian",
        ),
        ("Twelve women who worked at a North Korean restaurant in China arrived in South Korea on Thursday.", "worker"),
        (
            "A small North Korean fishing boat with four men aboard crossed the Northern Limit Line on Saturday.",
            "fisher",
        ),
        ("A Russian contract soldier who deserted walked into Kazakhstan last Saturday.", "soldier"),
        ("A Cuban air force major flew his MiG-23 to Key West on 20 March 1991.", "soldier"),
        (
            "A man climbed the fence on the eastern front and crossed the Military Demarcation Line on Saturday, but "
            "troops failed to catch him.",
            "civilian",
        ),
        (
            "A former commander of a mercenary group crossed the border into Norway on Friday. He said he had "
            "deserted after his contract was extended.",
            "soldier",
        ),
        (
            "A North Korean man climbed the border fence in Goseong on Tuesday. Officials said the man had previously "
            "trained as a gymnast.",
            "civilian",
        ),
        (
            "A man swam across the sea border to Goseong on Tuesday. The man said he had been a civilian worker in "
            "the North.",
            "civilian",
        ),
        ("Three Venezuelan guardsmen crossed the border into Colombia on Saturday.", "soldier"),
        (
            "A North Korean man swam south and came ashore in Goseong on Tuesday. The incident raised questions "
            "about the readiness of troops on the eastern front.",
            "civilian",
        ),
        (
            "A North Korean woman who crossed the Tumen River on Monday was caught and handed back to North Korean "
            "security officials, a source said.",
            "civilian",
        ),
        (
            "Nine North Koreans crossed the sea border in a wooden boat on Monday, government officials said. The "
            "officials had kept the case quiet for two days.",
            "civilian",
        ),
    ],
)
def test_actor_is_the_people_who_escaped(text: str, actor: str) -> None:
    (found,) = incidents(text)
    assert found["actor"] == actor


def test_unarmed_wins_over_weapons_of_others() -> None:
    text = (
        "A North Korean soldier sprinted across the Joint Security Area yesterday while four guards opened fire "
        "with pistols and rifles.\n\nHe was unarmed, officials said."
    )
    (found,) = incidents(text)
    assert found["armed"] is False


def test_default_crossing_for_the_inter_korean_border() -> None:
    (found,) = incidents("A North Korean soldier defected to the South across the heavily guarded border on Monday.")
    assert (found["method"], found["crossing"]) == ("dmz", "Military Demarcation Line")


def test_an_escape_with_no_border_is_no_incident() -> None:
    text = "Three inmates escaped from the county jail early on Wednesday by climbing through a ventilation shaft."
    assert incidents(text) == []


@pytest.mark.parametrize(
    ("args", "summary"),
    [
        (
            (6, None, True, "soldier", "crossed", "river", "Yalu River", "PRK", "CHN"),
            "6 armed soldiers crossed the Yalu River from North Korea to China",
        ),
        (
            (1, None, None, "civilian", "killed", "river", None, "PRK", "CHN"),
            "1 civilian was killed trying to cross the border from North Korea to China",
        ),
        (
            (None, 24, None, None, "repatriated", "sea", None, "CUB", "USA"),
            "At least 24 people were sent back after crossing the border from Cuba to United States by boat",
        ),
    ],
)
def test_summary(args: tuple, summary: str) -> None:  # type: ignore[type-arg]
    size, low, armed, actor, outcome, method, crossing, origin, destination = args
    value = gazetteer().crossings[crossing] if crossing else None
    assert _summary(size, low, armed, actor, outcome, method, value, origin, destination) == summary


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "Seoul said on Monday that two North Korean soldiers crossed the Yalu River near Hyesan into China "
            "last week and were later sent back to Pyongyang.",
            "Hyesan",
        ),
        (
            "A North Korean fisherman drifted across the Northern Limit Line and landed on Yeonpyeong Island on "
            "Monday, Seoul's defence ministry said.",
            "Yeonpyeong Island",
        ),
    ],
)
def test_location_prefers_the_place_of_the_event(text: str, expected: str) -> None:
    from app.extraction import ArticleInput, extract

    (incident,) = extract(ArticleInput(text=text, published=date(2024, 5, 1)))
    assert incident.location is not None and incident.location.name == expected


@pytest.mark.parametrize(
    ("text", "published", "expected"),
    [
        (  # someone named for the first time, in an escape dated long before publication
            "A Russian dancer has defected in Toronto, the government said.\n\n"
            "Rudolf Nureyev broke away from his Kirov minders at Le Bourget airport in Paris on June 16, 1961.",
            date(2024, 6, 29),
            [(None, "CAN", "civilian"), ("1961-06-16", "FRA", "civilian")],
        ),
        (  # a named person set beside the subject
            "North Korea's deputy ambassador to Britain has defected to South Korea with his family, the ministry "
            "said on Wednesday.\n\n"
            "He is the most senior North Korean diplomat to defect since Hwang Jang-yop, a party secretary, walked "
            "into the South Korean consulate in Beijing in February 1997 and requested asylum.",
            date(2016, 8, 17),
            [(None, "KOR", "diplomat"), ("1997-02-01", "KOR", "official")],
        ),
    ],
)
def test_other_named_people_are_other_incidents(text: str, published: date, expected: list[tuple]) -> None:  # type: ignore[type-arg]
    found = incidents(text, published)
    assert [(i["date_start"], i["destination_country"], i["actor"]) for i in found] == expected


def test_a_time_reckoned_from_an_escape_already_told_is_not_its_date() -> None:
    text = (
        "A Soviet dancer defected in Toronto on June 29, 1974.\n\n"
        "An exhibition opens Monday, with photos of his first appearance in Canada after he defected."
    )
    (only,) = incidents(text, date(2024, 6, 29))
    assert (only["date_start"], only["origin_country"]) == ("1974-06-29", "SUN")


def test_a_dated_relative_clause_without_an_escape_keeps_its_date_with_the_escape() -> None:
    text = (
        "A North Korean student who took part in a mathematics contest in Hong Kong last month slipped away from "
        "his team and sought refuge at the South Korean consulate."
    )
    (only,) = incidents(text)
    assert (only["date_start"], only["date_end"]) == ("2021-02-01", "2021-02-28")


def test_a_readable_date_told_afresh_beside_an_unreadable_one_is_another_incident() -> None:
    text = (
        "Two North Korean border guards crossed the frozen Yalu River into China on the night of the 3rd, a source "
        "said.\n\n"
        "Residents still talk of a night in January 2017, when about 10 people from the city crossed the ice "
        "together with the help of a broker."
    )
    found = incidents(text, None)
    assert [(i["date_start"], i["group_size"]) for i in found] == [(None, 2), ("2017-01-01", 10)]
