"""A fresh tantivy engine in a temporary directory, for the search tests that need a real index."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from core.search.tantivy_engine import TantivyEngine

HEAP = 15_000_000  # a small writer heap: test indexes hold a few hundred documents


@pytest.fixture
async def engine(tmp_path: Path) -> AsyncIterator[TantivyEngine]:
    e = TantivyEngine(tmp_path, writer_heap_bytes=HEAP)
    await e.open()
    yield e
    await e.close()
