"""A failing test's report survives a finalizer that parses source (tests/report_gc.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

pytest_plugins = ["pytester"]

FAILING = '''
import ast, gc, time

UNTIL = [0.0]


class Cycle:
    """Garbage only the collector frees; its finalizer parses source, as logging's traceback does."""

    def __init__(self):
        self.me = self

    def __del__(self):
        ast.parse("x = (1 + 2) * 3")
        if time.monotonic() < UNTIL[0]:
            Cycle()  # garbage for the next collection, wherever it runs: pytest's report comes next


def test_fails():
    gc.set_threshold(20)
    UNTIL[0] = time.monotonic() + 3  # the chain of garbage outlives the test into its report, then ends
    for _ in range(50):
        Cycle()
    assert 1 + {n} == 3
'''


def long_source(n: int) -> str:
    # a long module: pytest parses the whole file to find the failing statement, long enough for collections
    return FAILING.format(n=n) + "\n".join(f"def f{i}(a):\n    return [a * {i} for _ in range(2)]" for i in range(2000))


def test_a_failure_is_reported_not_an_internal_error(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Without the plugin, on CPython 3.11.7, this run ends in INTERNALERROR (SystemError) instead."""
    monkeypatch.setenv("PYTHONPATH", str(ROOT))
    pytester.makepyfile(test_gc_failure=long_source(1))
    result = pytester.runpytest_subprocess("-p", "tests.report_gc", "-p", "no:cacheprovider", timeout=120)
    said = result.stdout.str() + result.stderr.str()
    assert "INTERNALERROR" not in said and "SystemError" not in said, said[-2000:]
    result.assert_outcomes(failed=1)
    assert "assert (1 + 1) == 3" in said
