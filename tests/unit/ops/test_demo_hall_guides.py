"""The demo portal publishes a service guide for every service of the demo hall, whatever the demo's clock.

The demo anchors its content at the day of the first `yiwang up`, and which guides its seeded draw makes depended on
that day: on 2026-12-06 none of the hall's services had a guide (`hall { missingServices }` listed all five, every
window's services answered `found: false`), while the tests' anchor, 2024-06-30, had them all.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from core.halls import HallLibrary
from ops.demo.catalog import PORTAL
from ops.demo.generator import build_group

ANCHORS = [datetime(2026, 12, 6, 14, 0), *(datetime(2024, 6, 30, 12, 0) + timedelta(days=d) for d in range(0, 730, 61))]


def test_the_fixed_guides_are_the_demo_halls_services() -> None:
    layout = HallLibrary().layout("demo-budongchan")
    assert {item for _, item in PORTAL.guides} == set(layout.service_ids)


@pytest.mark.parametrize("now", ANCHORS, ids=lambda d: d.date().isoformat())
def test_every_hall_service_has_a_guide_on_any_day(now: datetime) -> None:
    portal = next(c for c in build_group(now) if c.spec.id == "demo-portal")
    guides = {a.guide.item: a for a in portal.articles() if a.guide}
    for topic, item in PORTAL.guides:
        article = guides[item]
        assert article.title == f"{item}办事指南" and article.topic == topic
        assert article.guide is not None and f"《{item}申请表》" in article.guide.materials
    titles = [a.title for a in portal.articles()]
    assert len(titles) == len(set(titles)), "titles stay unique"
