"""Headers of every page: a strict Content-Security-Policy (own scripts and styles only, no inline), and friends."""

from __future__ import annotations

from typing import TypeVar

from starlette.responses import Response

R = TypeVar("R", bound=Response)

DIRECTIVES = [
    "default-src 'none'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    "font-src 'self'",
    "connect-src 'self'",  # /graphql over fetch and the subscription WebSocket (same origin)
    "media-src 'self'",
    "form-action 'self'",
    "base-uri 'none'",
    "frame-ancestors 'none'",
    "object-src 'none'",
]
CSP = "; ".join(DIRECTIVES)
CSP_WITH_FRAMES = "; ".join([*DIRECTIVES, "frame-src 'self'"])  # the hall page embeds the hall's 3D viewer
HEADERS = {
    "content-security-policy": CSP,
    "x-content-type-options": "nosniff",
    "referrer-policy": "same-origin",
    "x-frame-options": "DENY",
    "permissions-policy": "camera=(), geolocation=(), microphone=(self)",  # microphone: voice search
}


def secure(response: R, *, frames: bool = False) -> R:
    for name, value in HEADERS.items():
        response.headers[name] = value
    if frames:
        response.headers["content-security-policy"] = CSP_WITH_FRAMES
    return response
