"""Scrapy side of the benchmark: the same pages, concurrency and extraction (our selectolax extract())."""

from __future__ import annotations

import argparse
import json
import resource
import time
from collections.abc import Iterator
from typing import Any

import scrapy
from scrapy.crawler import CrawlerProcess

from scrapers.extract import extract


class BenchSpider(scrapy.Spider):
    """Follows every in-site link from the homepage and extracts each page like our crawler does."""

    name = "bench"
    pages = 0

    def __init__(self, base: str, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.start_urls = [base + "/"]
        self.allowed_domains = ["127.0.0.1"]

    def parse(self, response: scrapy.http.Response) -> Iterator[scrapy.Request]:
        BenchSpider.pages += 1
        ex = extract(response.text, response.url)
        for link in ex.links:
            if link.url.startswith(self.start_urls[0]):
                yield scrapy.Request(link.url, callback=self.parse)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--base", required=True)
    parser.add_argument("--concurrency", type=int, default=16)
    args = parser.parse_args()
    process = CrawlerProcess(
        settings={
            "CONCURRENT_REQUESTS": args.concurrency,
            "CONCURRENT_REQUESTS_PER_DOMAIN": args.concurrency,
            "DOWNLOAD_DELAY": 0,
            "AUTOTHROTTLE_ENABLED": False,
            "ROBOTSTXT_OBEY": True,
            "COOKIES_ENABLED": False,
            "TELNETCONSOLE_ENABLED": False,
            "LOG_LEVEL": "ERROR",
            "DEPTH_PRIORITY": 1,  # breadth-first, as our frontier claims shallowest first
            "SCHEDULER_DISK_QUEUE": "scrapy.squeues.PickleFifoDiskQueue",
            "SCHEDULER_MEMORY_QUEUE": "scrapy.squeues.FifoMemoryQueue",
            "DOWNLOAD_TIMEOUT": 20,
            "RETRY_TIMES": 2,
            "USER_AGENT": "yiwang-bench-scrapy/0.1",
        }
    )
    process.crawl(BenchSpider, base=args.base)
    started = time.perf_counter()
    process.start()
    elapsed = time.perf_counter() - started
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"name": "scrapy", "pages": BenchSpider.pages, "seconds": elapsed, "peak_rss_mb": peak_mb}))


if __name__ == "__main__":
    main()
