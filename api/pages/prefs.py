"""The elderly-friendly mode and its tools, remembered in cookies and rendered server-side (no flash, no JS needed)."""

from __future__ import annotations

from dataclasses import dataclass

from starlette.requests import Request
from starlette.responses import Response

MODE_COOKIE = "yw_elderly"
TOOLS_COOKIE = "yw_a11y"  # the toolbar's switches, written by portal.js: a dot-separated list of TOOLS
TOOLS = frozenset({"cursor", "contrast", "text", "zoom", "captions", "guide", "speak"})
COOKIE_AGE_S = 365 * 24 * 3600


@dataclass(frozen=True, kw_only=True)
class Prefs:
    """Whether the elderly mode is on (linkable with ?elderly=1, off with ?elderly=0) and which tools are."""

    elderly: bool
    tools: frozenset[str]
    changed: bool  # the query string switched the mode: remember it

    @property
    def classes(self) -> str:
        names = ["elderly"] if self.elderly else []
        return " ".join(names + [f"a11y-{t}" for t in sorted(self.tools)])


def read_prefs(request: Request) -> Prefs:
    asked = request.query_params.get("elderly")
    stored = request.cookies.get(MODE_COOKIE) == "1"
    elderly = asked == "1" if asked in ("0", "1") else stored
    tools = frozenset(t for t in request.cookies.get(TOOLS_COOKIE, "").split(".") if t in TOOLS)
    if asked == "0":
        tools = frozenset()  # leaving the mode resets its tools too
    return Prefs(elderly=elderly, tools=tools, changed=asked in ("0", "1") and elderly != stored)


def remember(response: Response, prefs: Prefs) -> None:
    if not prefs.changed:
        return
    response.set_cookie(MODE_COOKIE, "1" if prefs.elderly else "0", max_age=COOKIE_AGE_S, samesite="lax")
    if not prefs.elderly:
        response.delete_cookie(TOOLS_COOKIE)
