"""`yiwang -v`: a command logs WARNING and above unless asked for more, before or after the command's name."""

from __future__ import annotations

import pytest

from core.settings import Settings
from ops.cli import build_parser, verbosity
from ops.runtime import cli_log_level


@pytest.mark.parametrize(
    ("argv", "verbose"),
    [
        (["search", "x"], 0),
        (["-v", "search", "x"], 1),
        (["search", "x", "-v"], 1),
        (["search", "x", "-vv"], 2),
        (["-v", "sites", "list", "--verbose"], 2),
        (["-v", "sites", "list"], 1),
        (["sites", "list", "-v"], 1),
    ],
)
def test_verbose_counts_wherever_it_is_given(argv: list[str], verbose: int) -> None:
    args = build_parser().parse_args(argv)
    assert verbosity(args) == verbose


def test_levels() -> None:
    assert [cli_log_level(Settings(), v) for v in (0, 1, 2)] == ["WARNING", "INFO", "DEBUG"]
    assert cli_log_level(Settings(log_level="ERROR"), 0) == "ERROR"
