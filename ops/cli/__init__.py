"""The `yiwang` command: every module in this package adds its subcommands through `register`.

What a command prints for its user goes to stdout; its log lines go to stderr, WARNING and above unless
`-v` (INFO) or `-vv` (DEBUG). The Procfile's processes (`web`, `worker`, …) and `up` log as LOG_LEVEL says."""

from __future__ import annotations

import argparse
import importlib
import os
import pkgutil
import sys
from collections.abc import Sequence

from core.errors import YiwangError

SIGPIPE_EXIT = 141  # what a shell reports for a command ended by SIGPIPE (128 + 13)
VERBOSE_HELP = "log INFO lines to stderr (-vv: DEBUG); by default only warnings and errors"


def _add_verbose(parser: argparse.ArgumentParser) -> None:
    """`-v` after any subcommand too (`yiwang search X -v`), counted apart: a subcommand's arguments replace
    what the level above parsed under the same name."""
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for child in action.choices.values():
                child.add_argument(
                    "-v",
                    "--verbose",
                    action="count",
                    dest="verbose_after",
                    default=argparse.SUPPRESS,
                    help=VERBOSE_HELP,
                )
                _add_verbose(child)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="yiwang", description="yiwang (一网): one backend for a government site group"
    )
    parser.add_argument("-v", "--verbose", action="count", default=0, help=VERBOSE_HELP)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
        if info.name.startswith("_"):
            continue
        module = importlib.import_module(f"{__name__}.{info.name}")
        module.register(sub)
    _add_verbose(parser)
    return parser


def verbosity(args: argparse.Namespace) -> int:
    """How many `-v` were given, before and after the command's name."""
    return int(args.verbose) + int(getattr(args, "verbose_after", 0))


def _logging(verbose: int) -> None:
    from core.logs import setup_logging
    from core.settings import get_settings
    from ops.runtime import cli_log_level

    setup_logging(cli_log_level(get_settings(), verbose), "text")


def main(argv: Sequence[str] | None = None) -> None:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        sys.exit(2)
    try:
        _logging(verbosity(args))
        code = args.func(args)
        sys.stdout.flush()  # here, where a reader that has gone is caught, rather than at exit
    except YiwangError as exc:
        print(f"yiwang: {exc.message}", file=sys.stderr)
        sys.exit(2)
    except KeyboardInterrupt:
        sys.exit(130)
    except BrokenPipeError:  # `yiwang search X | head`: the reader took what it wanted; no traceback for that
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # what is still buffered goes nowhere
        sys.exit(SIGPIPE_EXIT)
    sys.exit(code or 0)
