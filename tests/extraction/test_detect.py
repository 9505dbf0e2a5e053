"""Detection: prefilter, triggers and their strength, generic penalties, clause segments and anaphora."""

from __future__ import annotations

import pytest

from app.extraction import detect
from app.extraction.dates import find_dates
from app.extraction.prepare import prepare


def trigger(text: str) -> tuple[str, str, float] | None:
    found = detect.find_trigger(text, 0, len(text))
    return (found[0].rule, found[0].text, found[1]) if found else None


@pytest.mark.parametrize(
    ("text", "passes"),
    [
        ("Six soldiers defected on Tuesday.", True),
        ("Three workers slipped out of their dormitory.", True),
        ("More than 20 Cubans on a homemade raft were returned.", True),
        ("The city council approved a budget for road repairs on Monday.", False),
        ("", False),
    ],
)
def test_prefilter(text: str, passes: bool) -> None:
    assert detect.passes_prefilter(text) is passes


@pytest.mark.parametrize(
    ("text", "rule"),
    [
        ("A North Korean soldier defected to the South on Monday.", "defect_verb"),
        ("Six guards fled across the frozen Yalu River.", "flee_verb"),
        ("A man swam across the Han River estuary.", "move_across"),
        ("A student suddenly bolted across the border at the truce village.", "move_across"),
        ("The dancer broke away from his minders at the airport.", "went_missing"),
        ("A defector who had lived in Seoul re-defected to the North.", "go_back"),
        ("Two soldiers were caught on the riverbank by a patrol while trying to cross.", "caught_trying"),
        ("Two soldiers were shot dead as they tried to wade across the river.", "as_they_tried"),
        ("Seven players disappeared from their hotel during the tournament.", "went_missing"),
        ("He asked South Korean diplomats for protection at the embassy.", "contact_diplomats"),
        ("A former gymnast vaulted a barbed-wire fence.", "climb_fence"),
        ("A Russian pilot flew his Mi-8 helicopter into Ukraine.", "fly_aircraft"),
        ("Two women from North Korea were found hiding in a container on a freight train.", "hide_in_vehicle"),
        ("Ten players are seeking asylum in Tanzania.", "asylum"),
        ("Six armed hijackers seized an airliner and forced the crew to fly to South Korea.", "hijack"),
        ("A North Korean pilot did fly a MiG-19 to the South again in 1996.", "fly_aircraft"),
        ("Cuban migrants came ashore in a wooden boat in the Florida Keys, the Border Patrol said.", "arrive_verb"),
    ],
)
def test_triggers(text: str, rule: str) -> None:
    found = trigger(text)
    assert found is not None and found[0] == rule, found


@pytest.mark.parametrize(
    "text",
    [
        "The company crossed a milestone in quarterly sales.",  # a weak verb without escape context
        "Prices walked up to a new high.",
        "The escape room opened downtown.",
        "The frontier runs through dense forest and swamp along the border.",  # "swamp" is no "swam"
    ],
)
def test_no_trigger_without_escape_context(text: str) -> None:
    found = trigger(text)
    assert found is None or found[2] < detect.MENTION_FLOOR


def test_weak_forms_are_discounted() -> None:
    direct = trigger("Two soldiers crossed the border.")
    infinitive = trigger("Two soldiers wanted to cross the border.")
    compound = trigger("Smugglers broker river-crossing defections at the border.")
    pressed = trigger("An interrogator tries to pressure him into defecting to the South.")
    planned = trigger("Ri begins planning an escape across the Military Demarcation Line.")
    assert planned and planned[2] < detect.MENTION_FLOOR
    assert direct and infinitive and compound and pressed
    assert infinitive[2] < direct[2]
    assert compound[2] < detect.MENTION_FLOOR
    assert pressed[2] < detect.MENTION_FLOOR


@pytest.mark.parametrize(
    ("text", "generic"),
    [
        ("South Korea's unification ministry counted 229 defectors in the whole of 2020.", False),
        ("Just 63 defectors arrived in 2021, the lowest annual number on record.", True),
        ("On average, more than 1,000 North Koreans defect every year.", True),
        ("Several American soldiers defected to North Korea during the Cold War.", True),
        ("If they cross, guards will shoot them.", True),
        ("Six soldiers crossed the Yalu River on the night of the 2nd.", False),
        ("In a typical year, only one or two soldiers cross the line.", True),
        ("He planned to defect next year.", True),
        ("Imagine a young woman who crosses the Tumen tomorrow.", True),
        ("Two men found aboard a boat have said they want to defect to the South.", False),  # a wish after the event
        ("Each time a soldier crosses, the army tightens its guard.", True),
        ("The fences are meant to stop its own soldiers and civilians from fleeing to the South.", True),
        ("Most crossed the Yalu into China long ago.", True),
        ("A court ordered a defector to pay damages over her videos.", True),
        ("It is hard to verify any account of life and escape from the North.", True),
        ("Tanks crossed the river during a river-crossing drill.", True),
        ("Lawmakers should let those fleeing tyranny in.", True),
        ("A soldier crossed the line each morning, the man's neighbours said.", False),
        ("Many residents of the island fled the North during the 1950-53 Korean War.", True),
        ("Officials said it was the second known defection by sea this year.", True),
        ("It marks the first time since August 2019 that a soldier has defected across the border.", True),
        ("It is far from the first time Eritrean footballers have vanished abroad.", True),
        ("The frozen river is the main route for North Koreans fleeing poverty.", True),
        ("Analysts say the measures have made escape from the North nearly impossible.", True),
        ("Fishermen from the North have drifted into southern waters in broken-down boats many times.", True),
        ("Another soldier was shot multiple times as he ran across the border on Monday.", False),
        ("Thirteen restaurant workers have arrived in South Korea in a rare group defection.", False),
        ("Defections across the land border are rare.", True),
        ("Only 67 North Koreans reached the South in 2022.", True),
        ("Very few of this year's arrivals crossed the border recently.", True),
        ("34 arrived in the first quarter of this year alone.", True),
    ],
)
def test_generic_penalty(text: str, generic: bool) -> None:
    assert (detect.generic_penalty(text) >= 0.3) is generic


@pytest.mark.parametrize(
    ("text", "penalty"),
    [
        ("About 20 soldiers briefly crossed the line by mistake.", 0.5),
        ("The crossing appeared to be unintentional.", 0.5),
        ("The soldiers who strayed across withdrew at once.", 0.5),
        ("Tanks and armoured vehicles crossed under a smoke screen.", 0.5),
        ("Their boat drifted south by accident after its engine broke down.", 0.5),
        ('She joked that she still "defects" from her party\'s line on housing.', 0.6),
        ("A soldier crossed the line last Wednesday and asked to defect.", 0.0),
    ],
)
def test_not_escape_penalty_is_kept_whatever_the_date(text: str, penalty: float) -> None:
    assert detect.not_escape_penalty(text, 0, len(text)) == penalty


def test_generic_penalty_counts_only_the_triggers_clause() -> None:
    text = "In 2007 six players disappeared in Tanzania and in other cases one or two would go missing."
    found = detect.find_trigger(text, 0, len(text))
    assert found is not None
    start, end = detect.clause_around(text, 0, len(text), found[0].start)
    assert detect.generic_penalty(text[start:end]) == 0
    assert detect.generic_penalty(text) > 0


@pytest.mark.parametrize(
    ("text", "anaphoric"),
    [
        ("They were picked up on Thursday.", True),
        ("The four were fishermen, officials said.", True),
        ("The 22-year-old, a second-year student, crossed at night.", True),
        ("The pair had failed to turn up for their bouts.", True),
        ("Lao police arrested them on May 10.", True),
        ("Police said the pilot climbed out and drew a pistol.", True),
        # Case-insensitive matching takes long s, dotless i and the dotted capital I for s and i.
        ("Lao police arre\u017fted them on May 10.", True),
        ("Border guards detaıned the group near the river.", True),
        ("Border guards DETA\u0130NED THEM near the river.", True),
        ("Radar picked up the unidentified vessel at 6 a.m.", True),
        # the reporting clause speaks of people already introduced, not of the staff
        ("The Joint Chiefs of Staff said the man was unarmed.", True),
        ("The Joint Chiefs of Staff said on Monday it had raised its alert level.", False),
        ("08:40 KST -- More from the JCS: the soldier was carrying a rifle.", True),
        ("08:40 KST -- More from the JCS: drills began on Monday.", False),
        ("A North Korean soldier crossed the line.", False),
    ],
)
def test_anaphora(text: str, anaphoric: bool) -> None:
    assert detect.is_anaphoric(text) is anaphoric


@pytest.mark.parametrize(
    ("text", "new_event"),
    [
        ("In a separate case, a boat was spotted.", True),
        ("The last soldier to defect across the line did so in June.", True),
        ("The most senior diplomat to flee was an ambassador.", True),
        ("The defection came less than a week after 20 soldiers crossed.", True),
        ("She fled again in 2021 and reached South Korea.", True),
        ("He is the highest-ranking diplomat to defect since 2019.", True),
        ("The soldier was found on the south side.", False),
    ],
)
def test_new_event_cues(text: str, new_event: bool) -> None:
    assert detect.is_new_event_cue(text) is new_event


def test_a_coordinated_clause_with_its_own_date_is_its_own_segment() -> None:
    text = "Six soldiers defected on Tuesday, and in November a gymnast vaulted the fence."
    doc = prepare(text, None)
    sentence = doc.sentences[0]
    dates = find_dates(doc.text, sentence.start, sentence.end, None, None)
    parts = [doc.text[s.start : s.end] for s in detect.segments(doc, sentence, dates)]
    assert len(parts) == 2
    assert parts[1].lstrip().startswith("and in November")
