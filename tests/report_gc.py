"""A pytest plugin (loaded by tests/conftest.py): no garbage collection while a test's report is made.

CPython 3.11 shares one recursion counter among all AST conversions, so an `ast.parse` run by a finalizer while
another `ast.parse` is converting its tree fails the outer one with "SystemError: AST constructor recursion depth
mismatch". pytest parses a failing test's source to show it; a collection run there finalized an asyncio task whose
error asyncio logs, and logging's traceback (its ^^^ carets) parses source too. The SystemError was raised inside
pytest's own report: the xdist worker ended in INTERNALERROR and the test's real failure was never shown (CI,
tests/integration/test_opendata_search*.py, twice). The collector waits until the report is made.
"""

from __future__ import annotations

import gc
from collections.abc import Generator

import pytest


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    enabled = gc.isenabled()
    gc.disable()
    try:
        return (yield)
    finally:
        if enabled:
            gc.enable()
