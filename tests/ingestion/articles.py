"""Short test articles written for these tests: one event told by several outlets, and a different event."""

from __future__ import annotations

from datetime import date

from app.ingestion.readers import RawArticle

SOKCHO_WIRE = RawArticle(
    source_name="wire",
    url="https://wire.example/2023/10/25/boat?utm_source=feed",
    title="North Korean family of four defects by boat",
    source="Sample Wire",
    published=date(2023, 10, 25),
    text=(
        "A North Korean family of four crossed the Northern Limit Line in the East Sea on a small wooden boat "
        "before dawn on Tuesday and defected to South Korea, the Joint Chiefs of Staff said.\n\n"
        "The boat was spotted about 20 kilometres off Sokcho by a fishing vessel, and the navy escorted it to "
        "the harbour. The group, a woman in her 60s, her two adult children and her younger sister, told "
        "investigators they wanted to live in the South."
    ),
)
SOKCHO_DAILY = RawArticle(
    source_name="daily",
    url="https://daily.example/news/sokcho-boat",
    title="Boat defectors to be questioned",
    source="Sample Daily",
    published=date(2023, 10, 26),
    text=(
        "Four North Koreans who sailed across the Northern Limit Line and reached the waters off Sokcho on "
        "Oct. 24 will be questioned by intelligence officials this week, the unification ministry said.\n\n"
        "The family crossed the sea border in an 8-metre wooden boat with an engine, officials said. Military "
        "radar had tracked the vessel for about an hour before it was identified."
    ),
)
SOKCHO_BACKGROUND = RawArticle(
    source_name="weekly",
    url="https://weekly.example/analysis/sea-defections",
    title="Why more North Koreans are risking the sea",
    source="Sample Weekly",
    published=date(2023, 12, 1),
    text=(
        "Security analysts say coastal surveillance is under strain.\n\n"
        "In October, a North Korean family of four sailed across the Northern Limit Line in a wooden boat and "
        "defected to South Korea, landing near Sokcho after the military failed to spot them for hours."
    ),
)
MUSAN_SAME_DAY = RawArticle(
    source_name="border",
    url="https://border.example/musan",
    title="Soldier crosses Tumen",
    source="Border Desk",
    published=date(2023, 10, 25),
    text=(
        "A North Korean soldier waded across the Tumen River near Musan into China on Tuesday and is being "
        "sought by Chinese police, a source in North Hamgyong province said.\n\n"
        "The soldier, who was unarmed, crossed at a shallow bend of the river shortly after midnight."
    ),
)
