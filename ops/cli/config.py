"""`yiwang config`: the settings this environment gives, one `NAME=value` a line, every secret masked."""

from __future__ import annotations

import argparse

from core.errors import Invalid
from core.settings import get_settings


def config_cmd(args: argparse.Namespace) -> int:
    shown = get_settings().describe()
    wanted = [n.upper() for n in args.names]
    unknown = [n for n in wanted if n not in shown]
    if unknown:
        raise Invalid(f"no setting named {', '.join(unknown)}")
    for name in wanted or shown:
        print(f"{name}={shown[name]}")
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "config", help="print the settings (environment and defaults) with secrets and URL passwords masked"
    )
    p.add_argument("names", nargs="*", metavar="NAME", help="only these settings (default: all)")
    p.set_defaults(func=config_cmd)
