"""The demo connector to the service platform: realistic progress (受理 → 审查 → 决定 → 办结) for one user.

It implements `core.applications.ApplicationSource`, as a connector to a real platform would (a poller of its
API, a webhook's queue): `forward` publishes what it yields as `ApplicationUpdated` events, and the
`applications` consumer stores them. Run it for the demo citizen with
`python -m ops.demo.applications USERNAME [--pace SECONDS]`.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from core.applications import forward
from core.bus import ApplicationUpdated, Bus
from core.settings import Settings
from ops.runtime import resolve

PLATFORM = "zwfw-demo"


@dataclass(frozen=True)
class Case:
    """One kind of application and what each step says."""

    service: str
    department: str
    steps: tuple[tuple[str, str, str], ...]  # (stage, status, note)


CASES: tuple[Case, ...] = (
    Case(
        "住房公积金提取（购买自住住房）",
        "市住房公积金管理中心",
        (
            ("受理", "已受理", "材料齐全，予以受理"),
            ("审查", "审查中", "正在核验购房合同与缴存记录"),
            ("决定", "准予提取", "核准提取金额已确定"),
            ("办结", "已办结", "资金已转入本人银行账户"),
        ),
    ),
    Case(
        "个体工商户设立登记",
        "市市场监督管理局",
        (
            ("受理", "已受理", "网上申请已提交"),
            ("审查", "审查中", "名称与经营范围核查"),
            ("决定", "准予登记", "核发营业执照"),
            ("办结", "已办结", "营业执照已邮寄，请注意查收"),
        ),
    ),
    Case(
        "城乡居民基本养老保险待遇申领",
        "市人力资源和社会保障局",
        (
            ("受理", "已受理", "窗口受理"),
            ("审查", "审查中", "核对参保缴费记录"),
        ),
    ),
)


class DemoApplications:
    """Each case moves one step every `pace_s` seconds, from `start`; ids depend only on the username, so a
    second run repeats the same facts (JetStream and the store drop them) instead of inventing new ones."""

    name = "demo"

    def __init__(self, username: str, *, start: datetime | None = None, pace_s: float = 0.0) -> None:
        self.username = username
        self.start = start or datetime.now(UTC)
        self.pace_s = pace_s

    def application_id(self, index: int) -> str:
        digest = hashlib.sha256(f"{self.username}:{index}".encode()).hexdigest()[:10].upper()
        return f"ZZ{self.start:%Y}{digest}"

    async def updates(self) -> AsyncIterator[ApplicationUpdated]:
        longest = max(len(c.steps) for c in CASES)
        for step in range(longest):
            if step and self.pace_s:
                await asyncio.sleep(self.pace_s)
            for index, case in enumerate(CASES):
                if step < len(case.steps):
                    yield self._update(index, case, step)

    def _update(self, index: int, case: Case, step: int) -> ApplicationUpdated:
        stage, status, note = case.steps[step]
        at = self.start - timedelta(days=3 * (len(CASES) - index)) + timedelta(hours=20 * step)
        return ApplicationUpdated(
            platform=PLATFORM,
            application_id=self.application_id(index),
            username=self.username,
            service=case.service,
            stage=stage,
            seq=step + 1,
            occurred_at=at.isoformat(),
            status=status,
            department=case.department,
            note=note,
        )


async def publish_demo(settings: Settings, username: str, *, pace_s: float = 0.0) -> int:
    """Publish the demo progress of `username` through the bus of `settings`; returns how many updates."""
    bus = await Bus(settings, name="demo-applications").connect()
    try:
        await bus.ensure_streams()
        return await forward(DemoApplications(username, pace_s=pace_s), bus)
    finally:
        await bus.close()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("username")
    parser.add_argument("--pace", type=float, default=0.0, help="seconds between steps (0: all at once)")
    args = parser.parse_args(argv)
    settings = resolve().settings  # NATS_URL, else the embedded NATS of DATA_DIR (`yiwang up` started it)
    sent = asyncio.run(publish_demo(settings, args.username, pace_s=args.pace))
    print(f"published {sent} application updates for {args.username}")


if __name__ == "__main__":
    main()
