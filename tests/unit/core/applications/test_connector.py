"""The connector interface: what a connector may publish, and the demo connector's realistic progress."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from core.applications import STAGES, ApplicationSource
from core.applications.connector import check_update
from core.bus import ApplicationUpdated, user_key
from core.errors import Invalid
from ops.demo.applications import CASES, DemoApplications

GOOD = {
    "platform": "zwfw",
    "application_id": "ZZ2024001",
    "username": "zhangsan",
    "service": "住房公积金提取",
    "stage": "受理",
    "seq": 1,
    "occurred_at": "2024-09-02T09:00:00+08:00",
}


def test_an_update_is_keyed_by_application_and_seq_and_partitioned_by_user() -> None:
    u = ApplicationUpdated(**GOOD)  # type: ignore[arg-type]
    assert check_update(u) is u
    assert u.key == "app:zwfw:ZZ2024001:1"
    assert u.subject == f"yw.app.updated.v1.{user_key('zhangsan')}" and "zhangsan" not in u.subject
    assert user_key("a.b") != user_key("a_b") and "." not in user_key("a.b")


@pytest.mark.parametrize(
    ("field", "value", "says"),
    [
        ("seq", -1, "seq must be a whole number"),
        ("seq", "3", "seq must be a whole number"),
        ("occurred_at", "yesterday", "not an ISO time"),
        ("username", " ", "username must be text"),
        ("application_id", "x" * 129, "application_id must be text of 1-128 characters"),  # the table's limit
        ("platform", "p" * 65, "platform must be text of 1-64 characters"),
        ("service", "s" * 501, "service must be text of 1-500 characters"),
        ("stage", "", "stage must be text"),
    ],
)
def test_a_malformed_update_is_refused(field: str, value: object, says: str) -> None:
    with pytest.raises(Invalid, match=says):
        check_update(ApplicationUpdated(**{**GOOD, field: value}))  # type: ignore[arg-type]


def test_a_payload_without_a_required_field_does_not_decode() -> None:
    with pytest.raises(Invalid, match="missing fields"):
        ApplicationUpdated.decode(b'{"platform": "zwfw", "application_id": "1"}')


async def test_the_demo_walks_each_application_through_the_stages_in_order() -> None:
    start = datetime(2024, 9, 10, 1, tzinfo=UTC)
    source: ApplicationSource = DemoApplications("demo-citizen", start=start)
    updates = [u async for u in source.updates()]
    assert len(updates) == sum(len(c.steps) for c in CASES)
    by_app: dict[str, list[ApplicationUpdated]] = {}
    for u in updates:
        check_update(u)
        assert u.username == "demo-citizen"
        by_app.setdefault(u.application_id, []).append(u)
    assert len(by_app) == len(CASES)
    for steps in by_app.values():
        assert [u.stage for u in steps] == list(STAGES[: len(steps)])
        assert [u.seq for u in steps] == list(range(1, len(steps) + 1))
        assert [u.occurred_at for u in steps] == sorted(u.occurred_at for u in steps)
    assert {len(s) for s in by_app.values()} == {2, 4}  # some finished (办结), one still under review
    again = [u async for u in DemoApplications("demo-citizen", start=start).updates()]
    assert [u.key for u in again] == [u.key for u in updates]  # a second run repeats the same facts
