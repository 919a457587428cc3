"""`yiwang schema [--write]`: print the GraphQL SDL, or write schema/schema.graphql."""

from __future__ import annotations

import argparse
from pathlib import Path

SDL = Path(__file__).resolve().parents[2] / "schema" / "schema.graphql"


def schema_cmd(args: argparse.Namespace) -> int:
    from schema import build_schema

    sdl = build_schema().as_str().strip() + "\n"
    if args.write:
        SDL.write_text(sdl, encoding="utf-8")
        print(f"wrote {SDL}")
    else:
        print(sdl, end="")
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("schema", help="print the GraphQL SDL (--write updates schema/schema.graphql)")
    p.add_argument("--write", action="store_true")
    p.set_defaults(func=schema_cmd)
