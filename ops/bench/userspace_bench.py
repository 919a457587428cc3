"""`me` with letters, replies and applications: p50/p95/p99 at a chosen size, loaded with COPY.

Run by hand (never a test): embedded Postgres and NATS in a temp dir, or DATABASE_URL and NATS_URL when set
(use an empty database: the bench loads identity_users, letters and applications into it).

Usage: .venv/bin/python -m ops.bench.userspace_bench [--users N] [--letters M] [--samples K]
  default 100,000 users and 1,000,000 letters; the issue's size is --users 1000000 --letters 10000000.

It measures the whole GraphQL path of `me` in-process (a real ES256 access token verified, the session and the
roles read, then letters, replies and applications with their steps, one page of 20 each), and the three
user-space reads alone, for K users drawn at random plus the users with the most letters.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import statistics
import time
import uuid
from collections.abc import Awaitable, Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg

from core.applications import list_applications
from core.db import migrate
from core.identity.tokens import issue_access_token
from core.letters import list_letters, list_replies
from core.services import open_services
from core.settings import Settings
from ops.bench import timed
from ops.embedded import throwaway_services
from schema import build_schema
from schema.context import Context

ME = """{ me { id name kind realNameLevel
  letters(pageSize: 20) { total items { id subject kind status dueOn late reply { body repliedAt } } }
  replies(pageSize: 20) { total items { letterId subject body repliedAt late } }
  applications(pageSize: 20) {
    total items { applicationId service stage status updatedAt steps { stage occurredAt } } } } }"""
CHUNK = 100_000
KINDS = ("咨询", "投诉", "建议")
DEPARTMENTS = ("市人社局", "市住建局", "市公安局", "市教育局", "市卫健委", "市市场监管局", "市医保局", "市交通局")
SUBJECTS = ("社保转移怎么办理", "小区停车位收费问题", "孩子入学咨询", "医保报销比例", "营业执照变更", "公交线路建议")
STAGES = ("受理", "审查", "决定", "办结")
START = datetime(2024, 1, 1, tzinfo=UTC)
SITES = 50


def user_id(i: int) -> uuid.UUID:
    return uuid.UUID(int=(0x5E << 120) | i)


def user_rows(n: int) -> Iterator[tuple[Any, ...]]:
    for i in range(n):
        yield (user_id(i), f"user{i:07d}", f"用户{i}", "person", 2)


def letter_rows(users: int, letters: int, rng: random.Random) -> Iterator[tuple[Any, ...]]:
    """Letters spread evenly over users, except for a hundred heavy writers."""
    for _ in range(letters):
        # 0.5% go to the first 100 users: at the issue's size, 500 letters each (a busy writer or an agent)
        u = rng.randrange(min(100, users)) if rng.random() < 0.005 else rng.randrange(users)
        at = START + timedelta(seconds=rng.randrange(300 * 86400))
        replied = at + timedelta(days=rng.randrange(1, 25)) if rng.random() < 0.7 else None
        yield (
            uuid.uuid4(),
            user_id(u),
            f"user{u:07d}",
            f"site-{u % SITES:02d}",
            rng.choice(KINDS),
            rng.choice(DEPARTMENTS),
            rng.choice(SUBJECTS),
            "您好，想咨询一下相关政策的办理流程和所需材料，谢谢。",
            rng.random() < 0.3,
            at,
            (at + timedelta(days=14)).date(),
            "您好，您反映的问题已收悉，请携带身份证到政务服务中心窗口办理。" if replied else None,
            replied,
        )


def application_rows(users: int, rng: random.Random) -> Iterator[tuple[list[Any], list[list[Any]]]]:
    """About one application per user, each with 1-4 steps."""
    for u in range(users):
        app_id = f"A{u:08d}"
        n = rng.randint(1, 4)
        at = START + timedelta(seconds=rng.randrange(300 * 86400))
        steps = [["zwfw", app_id, s + 1, STAGES[s], f"已{STAGES[s]}", "", at + timedelta(days=s)] for s in range(n)]
        last = steps[-1]
        yield (
            [
                "zwfw",
                app_id,
                f"user{u:07d}",
                "住房公积金提取",
                "市住房公积金中心",
                None,
                last[3],
                last[4],
                "",
                n,
                last[6],
                at,
            ],
            steps,
        )


async def _copy(
    pool: asyncpg.Pool, table: str, columns: list[str], rows: Iterator[tuple[Any, ...]] | Iterator[list[Any]]
) -> int:
    done, chunk = 0, []
    for row in rows:
        chunk.append(tuple(row))
        if len(chunk) == CHUNK:
            await pool.copy_records_to_table(table, records=chunk, columns=columns)
            done += len(chunk)
            chunk = []
    if chunk:
        await pool.copy_records_to_table(table, records=chunk, columns=columns)
        done += len(chunk)
    return done


async def load(pool: asyncpg.Pool, users: int, letters: int) -> None:
    rng = random.Random(13)
    t0 = time.perf_counter()
    await pool.executemany(
        "insert into sites (id, name, level) values ($1, $2, '区县') on conflict do nothing",
        [(f"site-{i:02d}", f"站点{i}") for i in range(SITES)],
    )
    await _copy(pool, "identity_users", ["id", "username", "name", "kind", "real_name_level"], user_rows(users))
    print(f"users: {users:,} in {time.perf_counter() - t0:.1f} s", flush=True)
    t1 = time.perf_counter()
    cols = [
        "id",
        "user_id",
        "username",
        "site_id",
        "kind",
        "department",
        "subject",
        "body",
        "consent_to_publish",
        "submitted_at",
        "due_on",
        "reply_body",
        "replied_at",
    ]
    # Loading into a table without its secondary indexes and building them after is several times faster.
    indexes = await pool.fetch(
        "select indexname, indexdef from pg_indexes where tablename = 'letters' and indexname <> 'letters_pkey'"
    )
    for index in indexes:
        await pool.execute(f"drop index {index['indexname']}")
    await _copy(pool, "letters", cols, letter_rows(users, letters, rng))
    print(f"letters: {letters:,} in {time.perf_counter() - t1:.1f} s", flush=True)
    t1 = time.perf_counter()
    for index in indexes:
        await pool.execute(index["indexdef"])
    print(f"letters' {len(indexes)} secondary indexes built in {time.perf_counter() - t1:.1f} s", flush=True)
    t2 = time.perf_counter()
    app_cols = [
        "platform",
        "application_id",
        "username",
        "service",
        "department",
        "site_id",
        "stage",
        "status",
        "note",
        "seq",
        "occurred_at",
        "submitted_at",
    ]
    step_cols = ["platform", "application_id", "seq", "stage", "status", "note", "occurred_at"]
    apps, steps, total_steps = [], [], 0
    for app, app_steps in application_rows(users, rng):
        apps.append(app)
        steps.extend(app_steps)
        if len(apps) == CHUNK:
            await _copy(pool, "applications", app_cols, iter(apps))
            total_steps += await _copy(pool, "application_steps", step_cols, iter(steps))
            apps, steps = [], []
    await _copy(pool, "applications", app_cols, iter(apps))
    total_steps += await _copy(pool, "application_steps", step_cols, iter(steps))
    print(f"applications: {users:,} with {total_steps:,} steps in {time.perf_counter() - t2:.1f} s", flush=True)
    t3 = time.perf_counter()
    await pool.execute("vacuum analyze")  # what autovacuum does in production: visibility maps for index-only counts
    print(f"vacuum analyze in {time.perf_counter() - t3:.1f} s", flush=True)


def percentiles(ms: list[float]) -> str:
    q = statistics.quantiles(ms, n=100)
    return f"n={len(ms)} p50={q[49]:.2f} ms p95={q[94]:.2f} ms p99={q[98]:.2f} ms max={max(ms):.2f} ms"


async def measure(settings: Settings, users: int, samples: int) -> None:
    rng = random.Random(5)
    async with open_services(settings, name="bench", pool_size=4) as services:
        pool = services.pool
        heavy = [
            r["user_id"]
            for r in await pool.fetch("select user_id from letters group by user_id order by count(*) desc limit 20")
        ]
        chosen = [user_id(rng.randrange(users)) for _ in range(samples)] + heavy
        now = datetime.now(UTC)
        tokens = [
            await issue_access_token(pool=pool, settings=settings, user_id=u, client_id="bench", now=now)
            for u in chosen
        ]
        schema = build_schema(settings)

        def me(token: str) -> Callable[[], Awaitable[object]]:
            async def run() -> None:
                result = await schema.execute(ME, context_value=Context(services=services, bearer=token))
                assert not result.errors, result.errors

            return run

        def reads(u: uuid.UUID) -> Callable[[], Awaitable[object]]:
            async def run() -> None:
                name = f"user{u.int & ((1 << 120) - 1):07d}"
                await list_letters(pool=pool, user_id=u, offset=0, limit=20, now=now)
                await list_replies(pool=pool, user_id=u, offset=0, limit=20, now=now)
                await list_applications(pool=pool, username=name, offset=0, limit=20)

            return run

        await timed([me(t) for t in tokens[:50]])  # warm caches and the parser
        load = " ".join(f"{x:.1f}" for x in os.getloadavg())
        print(f"load average (1, 5, 15 min): {load} on {os.cpu_count()} CPUs")
        print("me over GraphQL (token verified):", percentiles(await timed([me(t) for t in tokens])))
        print("user-space reads alone:          ", percentiles(await timed([reads(u) for u in chosen])))
        heaviest = await pool.fetchval("select count(*) from letters where user_id = $1", heavy[0])
        print(f"heaviest user: {heaviest} letters;", "me:", percentiles(await timed([me(tokens[-20])] * 50)))
        explain = "explain select * from letters where user_id = $1 order by submitted_at desc, id desc limit 20"
        plan = await pool.fetch(explain, chosen[0])
        print("plan:", " / ".join(r[0].strip() for r in plan))


async def bench(settings: Settings, users: int, letters: int, samples: int) -> None:
    pool = await asyncpg.create_pool(settings.database_url, min_size=1, max_size=4)
    try:
        await migrate(pool)
        if not await pool.fetchval("select exists (select 1 from identity_users where id = $1)", user_id(0)):
            await load(pool, users, letters)
        print(
            "table sizes:",
            dict(
                await pool.fetch(
                    "select relname, pg_size_pretty(pg_total_relation_size(oid)) from pg_class "
                    "where relname in ('letters', 'applications', 'identity_users')"
                )
            ),
        )
    finally:
        await pool.close()
    await measure(settings, users, samples)


def main() -> None:
    parser = argparse.ArgumentParser(description="p99 of `me` at a size")
    parser.add_argument("--users", type=int, default=100_000)
    parser.add_argument("--letters", type=int, default=1_000_000)
    parser.add_argument("--samples", type=int, default=2000)
    args = parser.parse_args()
    url, nats_url = os.environ.get("DATABASE_URL"), os.environ.get("NATS_URL")
    if url and nats_url:
        settings = Settings.from_env()
        asyncio.run(bench(settings, args.users, args.letters, args.samples))
        return
    with throwaway_services("yw-bench-space-") as (_, db_url, nats):
        settings = Settings(database_url=db_url, nats_url=nats)
        asyncio.run(bench(settings, args.users, args.letters, args.samples))


if __name__ == "__main__":
    main()
