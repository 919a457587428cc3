"""Permission decisions: which principal may make which call, and what a refused caller is told."""

from __future__ import annotations

from datetime import UTC, datetime
from uuid import uuid4

import pytest

from core.audit import redact
from core.errors import Forbidden, Unauthenticated
from core.identity.auth import BREAK_GLASS
from core.identity.principal import Principal, Role
from schema.permissions import IsAdmin, IsSiteEditor, Need, decide


def person(*roles: Role) -> Principal:
    return Principal(user_id=uuid4(), username="wang.fang", name="王芳", roles=roles)


ADMIN_PERSON = person(Role(name="admin"))
EDITOR_A = person(Role(name="editor", site_id="site-a"))
REPLIER = person(Role(name="replier", department="市民政局"))
NOBODY = person()


def test_anonymous_callers_are_told_to_sign_in_and_which_role_is_needed() -> None:
    refusal = decide(None, Need(role="admin"), "addSynonym")
    assert isinstance(refusal, Unauthenticated) and refusal.code == "UNAUTHENTICATED"
    assert "addSynonym needs the role admin" in refusal.message and "Authorization: Bearer" in refusal.message


@pytest.mark.parametrize("who", [EDITOR_A, REPLIER, NOBODY], ids=["editor", "replier", "no-role"])
def test_a_signed_in_caller_without_the_admin_role_is_forbidden_by_name(who: Principal) -> None:
    refusal = decide(who, Need(role="admin"), "setThreshold")
    assert isinstance(refusal, Forbidden) and refusal.code == "FORBIDDEN"
    assert refusal.message == "setThreshold needs the role admin, which wang.fang does not hold"


def test_an_editor_acts_on_their_own_site_only() -> None:
    assert decide(EDITOR_A, Need(role="editor", site_id="site-a"), "crawlSite") is None
    refusal = decide(EDITOR_A, Need(role="editor", site_id="site-b"), "crawlSite")
    assert isinstance(refusal, Forbidden) and "editor of site site-b" in refusal.message


def test_a_replier_is_no_editor_and_an_editor_no_replier() -> None:
    assert isinstance(decide(REPLIER, Need(role="editor", site_id="site-a"), "crawlSite"), Forbidden)
    assert isinstance(decide(EDITOR_A, Need(role="replier", department="市民政局"), "replyLetter"), Forbidden)
    assert decide(REPLIER, Need(role="replier", department="市民政局"), "replyLetter") is None
    refusal = decide(REPLIER, Need(role="replier", department="市教育局"), "replyLetter")
    assert isinstance(refusal, Forbidden) and "replier for 市教育局" in refusal.message


def test_admins_and_the_break_glass_token_may_do_everything() -> None:
    for who in (ADMIN_PERSON, BREAK_GLASS):
        assert decide(who, Need(role="admin"), "addQaPair") is None
        assert decide(who, Need(role="editor", site_id="any-site"), "crawlSite") is None
        assert decide(who, Need(role="replier", department="市民政局"), "replyLetter") is None


def test_site_scoped_checks_read_the_site_argument() -> None:
    assert IsSiteEditor().need({"site": "site-b", "full": True}) == Need(role="editor", site_id="site-b")
    assert IsSiteEditor().need({"site": None}) == Need(role="admin"), "no site named: the whole group's"
    assert isinstance(decide(EDITOR_A, IsSiteEditor().need({}), "crawlSite"), Forbidden)
    assert decide(ADMIN_PERSON, IsSiteEditor().need({}), "crawlSite") is None
    assert IsAdmin().need({"site": "site-a"}) == Need(role="admin"), "an admin check ignores the site"


def test_audited_arguments_keep_what_was_asked_and_never_a_secret() -> None:
    when = datetime(2026, 1, 2, 3, 4, tzinfo=UTC)
    stored = redact(
        {
            "query": "社保卡",
            "until": when,
            "password": "hunter2",
            "clientSecret": "s3cret",
            "accessToken": "eyJ...",
            "nested": {"idNumber": "410101199001011234", "name": "王芳", "deeper": [{"api_key": "k"}]},
            "answer": "长" * 2000,
            "tags": [str(i) for i in range(60)],
        }
    )
    assert stored["query"] == "社保卡" and stored["until"] == "2026-01-02T03:04:00+00:00"
    assert stored["password"] == stored["clientSecret"] == stored["accessToken"] == "[redacted]"
    assert stored["nested"]["idNumber"] == "[redacted]" and stored["nested"]["name"] == "王芳"
    assert stored["nested"]["deeper"] == [{"api_key": "[redacted]"}]
    assert stored["answer"].endswith("… (2000 characters)") and len(stored["answer"]) < 600
    assert len(stored["tags"]) == 51 and stored["tags"][-1] == "… (60 items)"
    assert "410101199001011234" not in repr(stored) and "hunter2" not in repr(stored)
