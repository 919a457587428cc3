"""Live feeds share one NATS subscription per event type in a process; a feed that falls behind is cut off."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncGenerator, AsyncIterator

import pytest

from core.bus import Bus, DocumentChanged, subject_for_site
from core.bus.fanout import LISTENER_QUEUE, SlowConsumer
from core.errors import Invalid
from core.settings import Settings
from tests.polling import eventually

pytestmark = pytest.mark.integration


@pytest.fixture
async def own_bus(settings: Settings) -> AsyncIterator[Bus]:
    bus = await Bus(settings, name="fanout-test").connect()
    yield bus
    await bus.close()


def change(site: str, n: int) -> DocumentChanged:
    return DocumentChanged(
        document_id=f"{site}-{n}",
        url=f"http://{site}.test/{n}",
        site_id=site,
        change="updated",
        version=n,
        content_hash="h",
    )


def nats_subscriptions(bus: Bus) -> int:
    assert bus.nc is not None
    return len(bus.nc._subs)  # nats-py's table of the connection's subscriptions (SIDs sent to the server)


async def joined(bus: Bus, feeds: list[AsyncGenerator[DocumentChanged, None]]) -> list[asyncio.Task[object]]:
    """Tasks awaiting each feed's next event, once all of them are listening."""
    tasks = [asyncio.create_task(anext(f)) for f in feeds]
    await eventually(lambda: _ready(bus, len(feeds)), timeout=10, what=f"{len(feeds)} listeners")
    return tasks


async def _ready(bus: Bus, n: int) -> bool:
    return bus.fanout.stats.listeners == n and bus.fanout.stats.subscriptions == 1


async def test_200_listeners_share_one_subscription_and_each_gets_the_event_once(own_bus: Bus) -> None:
    site, other = f"fan{uuid.uuid4().hex[:8]}", f"fan{uuid.uuid4().hex[:8]}"
    before = nats_subscriptions(own_bus)
    feeds = [own_bus.live(DocumentChanged, subject_for_site(DocumentChanged, site)) for _ in range(199)]
    elsewhere = own_bus.live(DocumentChanged, subject_for_site(DocumentChanged, other))
    tasks = await joined(own_bus, [*feeds, elsewhere])
    assert nats_subscriptions(own_bus) == before + 1
    everything = own_bus.live(DocumentChanged, f"{DocumentChanged.SUBJECT}.*")  # the 201st, all sites
    tasks.append(asyncio.create_task(anext(everything)))
    await eventually(lambda: _ready(own_bus, 201), timeout=10, what="the all-sites listener")
    await own_bus.notify(change(site, 1))
    got = await asyncio.wait_for(asyncio.gather(*tasks[:199], tasks[200]), timeout=10)
    assert {(e.site_id, e.version) for e in got} == {(site, 1)}  # type: ignore[attr-defined]
    assert not tasks[199].done()  # the listener of another site heard nothing
    assert own_bus.fanout.stats.decoded == 1 and own_bus.fanout.stats.delivered == 200
    tasks[199].cancel()
    await asyncio.gather(tasks[199], return_exceptions=True)
    for feed in [*feeds, elsewhere, everything]:
        await feed.aclose()
    assert (own_bus.fanout.stats.listeners, own_bus.fanout.stats.subscriptions) == (0, 0)
    assert nats_subscriptions(own_bus) == before  # the last listener leaving unsubscribed


async def test_a_slow_listener_is_cut_off_while_the_others_keep_receiving(own_bus: Bus) -> None:
    site = f"fan{uuid.uuid4().hex[:8]}"
    subject = subject_for_site(DocumentChanged, site)
    slow = own_bus.live(DocumentChanged, subject)
    quick = [own_bus.live(DocumentChanged, subject) for _ in range(3)]
    first = await joined(own_bus, [slow, *quick])
    total = LISTENER_QUEUE * 2

    async def read_all(feed: AsyncGenerator[DocumentChanged, None], first: asyncio.Task[object]) -> list[int]:
        seen = [(await first).version]  # type: ignore[attr-defined]
        while len(seen) < total:
            seen.append((await anext(feed)).version)
        return seen

    readers = [asyncio.create_task(read_all(f, t)) for f, t in zip(quick, first[1:], strict=True)]
    for n in range(total):
        await own_bus.notify(change(site, n))
    for seen in await asyncio.wait_for(asyncio.gather(*readers), timeout=10):
        assert seen == list(range(total))
    assert (await first[0]).version == 0  # type: ignore[attr-defined]
    kept = []
    with pytest.raises(SlowConsumer) as cut:
        async for event in slow:
            kept.append(event.version)
    assert cut.value.code == "SLOW_CONSUMER"
    assert len(kept) == LISTENER_QUEUE - 1 and kept == sorted(kept)  # the newest it had room for, then the marker
    assert own_bus.fanout.stats.cut_off == 1
    assert own_bus.fanout.stats.subscriptions == 1  # the quick ones still listen
    for feed in quick:
        await feed.aclose()
    assert own_bus.fanout.stats.subscriptions == 0


async def test_a_listener_after_the_last_left_opens_a_new_subscription_and_close_ends_feeds(own_bus: Bus) -> None:
    site = f"fan{uuid.uuid4().hex[:8]}"
    with pytest.raises(Invalid, match="not a DocumentChanged subject"):
        await anext(own_bus.live(DocumentChanged, f"yw.alert.v1.{site}"))
    subject = subject_for_site(DocumentChanged, site)
    feed = own_bus.live(DocumentChanged, subject)
    [task] = await joined(own_bus, [feed])
    await own_bus.notify(change(site, 1))
    assert (await asyncio.wait_for(task, timeout=10)).version == 1  # type: ignore[attr-defined]
    await feed.aclose()
    assert own_bus.fanout.stats.subscriptions == 0
    again = own_bus.live(DocumentChanged, subject)
    [task] = await joined(own_bus, [again])
    await own_bus.notify(change(site, 2))
    assert (await asyncio.wait_for(task, timeout=10)).version == 2  # type: ignore[attr-defined]
    pending = asyncio.create_task(anext(again))
    await asyncio.sleep(0)
    await own_bus.close()
    with pytest.raises(StopAsyncIteration):
        await asyncio.wait_for(pending, timeout=10)  # the bus closing ends its live feeds
