"""`yiwang roles grant|revoke|list`, run as the real command against the test database."""

from __future__ import annotations

import asyncio
import uuid
from pathlib import Path

import asyncpg
import pytest

from core.errors import Invalid
from core.identity.accounts import create_user
from core.identity.principal import Role
from core.identity.roles import roles_of
from core.settings import Settings
from core.sites import parse_sites, sync_sites
from ops.cli import build_parser
from tests.integration.cli import yiwang as run_cli

pytestmark = pytest.mark.integration


async def yiwang(settings: Settings, data_dir: Path, *args: str) -> tuple[int, str, str]:
    return await run_cli(settings, data_dir, "roles", *args)


async def test_bad_input_is_one_clear_line_and_exit_2(
    settings: Settings, pg_pool: asyncpg.Pool, tmp_path: Path
) -> None:
    username = f"cli-bad-{uuid.uuid4().hex[:6]}"
    await create_user(pool=pg_pool, username=username, name="测试", password=None, settings=settings)
    cases = {
        ("grant", username, "--role", "editor"): "--role editor needs --site SITE",
        ("grant", "nobody-at-all", "--role", "admin"): "no user named 'nobody-at-all'",
        ("grant", username, "--role", "editor", "--site", "no-such-site"): "no site with id 'no-such-site'",
    }
    results = await asyncio.gather(*(yiwang(settings, tmp_path, *args) for args in cases))
    for (args, says), (code, _, err) in zip(cases.items(), results, strict=True):
        assert code == 2 and says in err and "Traceback" not in err, (args, code, err)
    assert (
        await roles_of(pg_pool, await pg_pool.fetchval("select id from identity_people where username = $1", username))
        == ()
    )


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["--role", "replier"], "--role replier needs --department DEPT"),
        (["--role", "admin", "--site", "portal"], "--site is only for --role editor, not admin"),
        (["--role", "editor", "--site", "a", "--department", "d"], "--department is only for --role replier"),
        (["--role", "editor", "--site", "Not A Site"], "'Not A Site' is not a site id"),
        (["--role", "replier", "--department", "部" * 65], "at most 64 characters"),
    ],
)
def test_the_flags_are_checked_before_anything_connects(args: list[str], says: str) -> None:
    parsed = build_parser().parse_args(["roles", "grant", "someone", *args])
    with pytest.raises(Invalid) as refused:
        parsed.func(parsed)  # no DATABASE_URL is needed to refuse these
    assert says in refused.value.message


def test_an_unknown_role_is_refused_by_the_parser(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as stopped:
        build_parser().parse_args(["roles", "grant", "someone", "--role", "boss"])
    assert stopped.value.code == 2 and "invalid choice: 'boss'" in capsys.readouterr().err


async def test_grant_list_and_revoke_a_role(settings: Settings, pg_pool: asyncpg.Pool, tmp_path: Path) -> None:
    site = f"cli-site-{uuid.uuid4().hex[:6]}"
    await sync_sites(
        pg_pool, parse_sites(f"sites:\n  - {{id: {site}, name: 站, level: 市, start_urls: ['http://a/']}}\n")
    )
    username = f"cli-ok-{uuid.uuid4().hex[:6]}"
    user_id = await create_user(pool=pg_pool, username=username, name="李雷", password=None, settings=settings)
    editor, replier = await asyncio.gather(
        yiwang(settings, tmp_path, "grant", username, "--role", "editor", "--site", site),
        yiwang(settings, tmp_path, "grant", username, "--role", "replier", "--department", "市民政局"),
    )
    assert editor[0] == 0 and editor[1].strip() == f"granted: {username} is editor of site {site}", editor
    assert replier[0] == 0 and replier[1].strip() == f"granted: {username} is replier for 市民政局", replier
    assert await roles_of(pg_pool, user_id) == (
        Role(name="editor", site_id=site),
        Role(name="replier", department="市民政局"),
    )
    again, listed = await asyncio.gather(
        yiwang(settings, tmp_path, "grant", username, "--role", "editor", "--site", site),
        yiwang(settings, tmp_path, "list", "--user", username),
    )
    assert again[0] == 0 and again[1].startswith("already held")
    lines = listed[1].splitlines()
    assert listed[0] == 0 and len(lines) == 2 and all(line.startswith(username) for line in lines)
    assert f"editor of site {site}" in lines[0] and "replier for 市民政局" in lines[1] and "by cli:" in lines[0]
    code, out, _ = await yiwang(settings, tmp_path, "revoke", username, "--role", "editor", "--site", site)
    assert code == 0 and out.startswith("revoked:")
    assert await roles_of(pg_pool, user_id) == (Role(name="replier", department="市民政局"),)
    trail = await pg_pool.fetch(
        "select operation, arguments->>'changed' as changed from audit_trail"
        " where actor = 'operator' and arguments->>'username' = $1 order by id",
        username,
    )
    assert sorted(tuple(r) for r in trail) == [
        ("roles grant", "false"),
        ("roles grant", "true"),
        ("roles grant", "true"),
        ("roles revoke", "true"),
    ]
    assert tuple(trail[-1]) == ("roles revoke", "true")
