"""`python -m ops.bench.crawl`: serve a generated site, crawl it with yiwang and with Scrapy, print the ratio."""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from ops.embedded import EmbeddedServices, free_port, port_open


def _child(module: str, *args: str) -> dict[str, float]:
    out = subprocess.run([sys.executable, "-m", module, *args], capture_output=True, text=True, check=False)
    if out.returncode != 0:
        raise SystemExit(f"{module} failed:\n{out.stderr[-3000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--pages", type=int, default=5000, help="article pages (plus list pages and a homepage)")
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--rounds", type=int, default=1, help="alternate the two crawlers this many times")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="yw-bench-") as tmp:
        db_url, nats_url = os.environ.get("DATABASE_URL"), os.environ.get("NATS_URL")
        services = None
        if not (db_url and nats_url):
            services = EmbeddedServices(Path(tmp))
            started = services.start(postgres=not db_url, nats=not nats_url)
            db_url = db_url or started["postgres"].url
            nats_url = nats_url or started["nats"].url
        port = free_port()
        site = subprocess.Popen(
            [sys.executable, "-m", "ops.bench.crawl.site", "--port", str(port), "--pages", str(args.pages)]
        )
        try:
            while not port_open(port):
                time.sleep(0.1)
            base = f"http://127.0.0.1:{port}"
            results: dict[str, list[dict[str, float]]] = {"yiwang": [], "scrapy": []}
            for _ in range(args.rounds):
                ours = ["--base", base, "--database-url", db_url, "--nats-url", nats_url]
                results["yiwang"].append(_child("ops.bench.crawl.ours", *ours, "--concurrency", str(args.concurrency)))
                results["scrapy"].append(
                    _child("ops.bench.crawl.spider", "--base", base, "--concurrency", str(args.concurrency))
                )
        finally:
            site.terminate()
            site.wait()
            if services is not None:
                services.stop()
    rates = {}
    print(f"{'crawler':8} {'pages':>6} {'seconds':>8} {'pages/s':>8} {'peak RSS MB':>12}")
    for name, runs in results.items():
        best = max(runs, key=lambda r: r["pages"] / r["seconds"])
        rates[name] = best["pages"] / best["seconds"]
        row = f"{name:8} {best['pages']:>6.0f} {best['seconds']:>8.2f} {rates[name]:>8.1f} {best['peak_rss_mb']:>12.1f}"
        every = ", ".join(f"{r['pages'] / r['seconds']:.0f}" for r in runs)
        print(f"{row}   (each round: {every})")
    print(
        f"yiwang / scrapy pages/s: {rates['yiwang'] / rates['scrapy']:.2f}x  (concurrency {args.concurrency}, "
        f"{args.rounds} round(s), best of each)"
    )


if __name__ == "__main__":
    main()
