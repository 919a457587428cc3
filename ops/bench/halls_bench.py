"""Hall benchmarks, run by hand: `python -m ops.bench.halls_bench [--pg]`.

- the demo hall's build (layout read and checked, grid, GLB) — the target is ≤ 2 s;
- route p99 on a 200 m × 100 m hall at a 0.25 m grid (320,000 cells), every pair of a sample of POIs, cold
  (nothing cached) — the target is ≤ 20 ms;
- the `hall` query with its POIs and their services p99, through the real schema over Postgres when `--pg`
  (it starts the embedded Postgres and NATS in a temporary directory) — the target is ≤ 20 ms.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import random
import statistics
import time
from pathlib import Path
from typing import Any

import yaml

from core.halls import HallLibrary, build_glb, compile_layout, load_layout, parse_layout
from core.halls.library import ROOT
from core.halls.plan import Plan

DEMO = ROOT / "halls" / "demo-budongchan" / "hall.yaml"


def big_layout(width: int = 200, depth: int = 100) -> dict[str, Any]:
    """A 200 m × 100 m hall: three wings split by walls with doors, counter rows with windows, seat rows and
    pillars — routes have to go round things, as in a real hall."""
    walls = [
        {"id": "south", "from": [0, 0], "to": [width, 0]},
        {"id": "north", "from": [0, depth], "to": [width, depth]},
        {"id": "west", "from": [0, 0], "to": [0, depth]},
        {"id": "east", "from": [width, 0], "to": [width, depth]},
        {"id": "wing-1", "from": [70, 0], "to": [70, depth]},
        {"id": "wing-2", "from": [140, 0], "to": [140, depth]},
    ]
    doors = [{"id": "main", "name": "主入口", "at": [35, 0], "width": 4}]
    doors += [{"id": f"d{x}-{y}", "name": "门", "at": [x, y], "width": 2} for x in (70, 140) for y in (20, 80)]
    furniture: list[dict[str, Any]] = []
    pois: list[dict[str, Any]] = [{"id": "entrance", "kind": "entrance", "name": "入口", "at": [35, 2]}]
    number = 0
    for wing in range(3):
        x0 = wing * 70
        for row in range(3):
            y = 30 + row * 22
            furniture.append({"id": f"counter-{wing}-{row}", "kind": "counter", "rect": [x0 + 8, y, x0 + 62, y + 1]})
            for k in range(6):
                number += 1
                at = [x0 + 12 + k * 9, y - 1]
                pois.append(
                    {
                        "id": f"w{number}",
                        "kind": "window",
                        "name": f"{number}号窗口",
                        "number": number,
                        "at": at,
                        "services": ["事项"],
                    }
                )
            furniture.append({"id": f"seats-{wing}-{row}", "kind": "seats", "rect": [x0 + 10, y - 8, x0 + 60, y - 7]})
        for px, py in itertools.product(range(x0 + 5, x0 + 70, 10), (12, 94)):
            furniture.append({"id": f"pillar-{px}-{py}", "kind": "pillar", "rect": [px, py, px + 0.6, py + 0.6]})
    pois.append({"id": "far", "kind": "info", "name": "远端咨询台", "at": [195, 97]})
    return {
        "id": "bench-big",
        "name": "基准大厅",
        "address": "基准路1号",
        "grid": 0.25,
        "clearance": 0.25,
        "floors": [
            {
                "id": "F1",
                "name": "一层",
                "rooms": [{"id": "all", "name": "大厅", "rect": [0, 0, width, depth]}],
                "walls": walls,
                "doors": doors,
                "furniture": furniture,
                "pois": pois,
            }
        ],
    }


def big_plan() -> Plan:
    return compile_layout(parse_layout(yaml.safe_dump(big_layout(), allow_unicode=True), source="bench-big"))


def p99(samples: list[float]) -> float:
    return statistics.quantiles(samples, n=100)[98] if len(samples) >= 100 else max(samples)


def bench_build(rounds: int = 5) -> list[float]:
    times = []
    for _ in range(rounds):
        started = time.perf_counter()
        compile_layout(load_layout(DEMO))
        build_glb(load_layout(DEMO))
        times.append(time.perf_counter() - started)
    return times


def bench_routes(pairs: int = 300, seed: int = 16) -> tuple[list[float], list[float], float]:
    started = time.perf_counter()
    plan = big_plan()
    load_s = time.perf_counter() - started
    ids = [p.id for p in plan.layout.pois]
    rng = random.Random(seed)
    wall, cpu = [], []
    for _ in range(pairs):
        a, b = rng.sample(ids, 2)
        plan.routes.clear()  # cold: no route cache
        t, c = time.perf_counter(), time.process_time()
        plan.route(a, b)
        wall.append(time.perf_counter() - t)
        cpu.append(time.process_time() - c)
    return wall, cpu, load_s


def bench_grid_peer(pairs: int = 12, seed: int = 16) -> list[float]:
    """The peer: a plain cell-by-cell A* over the same 0.25 m grid (what routes ran on before the navigation
    mesh), between POIs whose cells are walkable; a few pairs, each takes long."""
    from core.halls.grid import astar

    plan = big_plan()
    rng = random.Random(seed)
    pois = list(plan.layout.pois)
    times: list[float] = []
    while len(times) < pairs:
        a, b = rng.sample(pois, 2)
        grid = plan.grids[a.floor]
        start, goal = grid.cell(*a.at), grid.cell(*b.at)
        if a.floor != b.floor or start is None or goal is None:
            continue
        t = time.perf_counter()
        found = astar(grid, start, goal)
        if found is not None:
            times.append(time.perf_counter() - t)
    return times


HALL_QUERY = """{ hall(id: "demo-budongchan") { id name etag pois { id name kind number position { x y floor }
  reminders services { id found title url materials timeLimit fee phone cases { title url } } } } }"""


async def _hall_query_times(
    database_url: str, nats_url: str, data_dir: Path, rounds: int
) -> tuple[list[float], list[float]]:
    import asyncpg

    from core.db import migrate
    from core.services import open_services
    from core.settings import Settings
    from schema import build_schema
    from schema.context import Context

    pool = await asyncpg.create_pool(database_url, min_size=1, max_size=2)
    try:
        await migrate(pool)
    finally:
        await pool.close()
    settings = Settings(database_url=database_url, nats_url=nats_url, data_dir=data_dir)
    schema = build_schema(settings)
    async with open_services(settings, name="bench", pool_size=4) as services:
        wall, cpu = [], []
        for _ in range(rounds):
            t, c = time.perf_counter(), time.process_time()
            result = await schema.execute(HALL_QUERY, context_value=Context(services=services))
            wall.append(time.perf_counter() - t)
            cpu.append(time.process_time() - c)
            assert not result.errors, result.errors
        return wall, cpu


def bench_hall_query(rounds: int = 300) -> tuple[list[float], list[float]]:
    """The `hall` query through the real schema and context over a real Postgres (embedded, thrown away)."""
    from ops.embedded import throwaway_services

    with throwaway_services("yw-hall-bench-") as (tmp, database_url, nats_url):
        return asyncio.run(_hall_query_times(database_url, nats_url, tmp / "data", rounds))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--pg", action="store_true", help="also time the hall query over the embedded Postgres")
    args = parser.parse_args()
    build = bench_build()
    print(f"demo hall build: median {statistics.median(build) * 1000:.0f} ms, max {max(build) * 1000:.0f} ms")
    print(f"demo GLB: {len(build_glb(load_layout(DEMO))):,} bytes; library ids: {HallLibrary().ids()}")
    routes, cpu, load_s = bench_routes()
    print(f"200 m x 100 m hall plan (grid, checks, navigation mesh): {load_s * 1000:.0f} ms")
    print(
        f"route (cold, {len(routes)} pairs), wall: median {statistics.median(routes) * 1000:.1f} ms, "
        f"p99 {p99(routes) * 1000:.1f} ms, max {max(routes) * 1000:.1f} ms"
    )
    peer = bench_grid_peer()
    ratio = statistics.median(peer) / statistics.median(routes)
    print(
        f"peer, cell A* on the same grid ({len(peer)} pairs): median {statistics.median(peer) * 1000:.0f} ms, "
        f"max {max(peer) * 1000:.0f} ms; the navigation mesh is {ratio:,.0f}x faster at the median"
    )
    print(f"route CPU time: median {statistics.median(cpu) * 1000:.1f} ms, p99 {p99(cpu) * 1000:.1f} ms")
    if args.pg:
        hall, hall_cpu = bench_hall_query()
        print(
            f"hall query with POIs and services, wall: median {statistics.median(hall) * 1000:.1f} ms, "
            f"p99 {p99(hall) * 1000:.1f} ms; CPU: median {statistics.median(hall_cpu) * 1000:.1f} ms, "
            f"p99 {p99(hall_cpu) * 1000:.1f} ms"
        )


if __name__ == "__main__":
    main()
