"""`GET /speech?text=…&rate=…`: read-aloud for browsers without the Web Speech API (core.speech).

Answers audio/wav, or 501 with a plain message when this server has no engine; 400 for text that is empty or
longer than core.speech.MAX_CHARS, or a rate outside 0.5–2. Synthesis costs CPU, so besides the API's own rate
limit each address gets its own small budget here (429 with Retry-After)."""

from __future__ import annotations

import math

from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response

from api.pages.security import secure
from api.ratelimit import TokenBuckets
from core.errors import Invalid, Upstream
from core.speech import Synthesizer, default_synthesizer
from schema.context import CLIENT_SCOPE_KEY

PER_MIN = 30  # a page read continuously asks once a paragraph: a long page a minute
BURST = 10
NO_ENGINE = (
    "本服务器没有安装语音合成引擎（espeak-ng），无法朗读。请使用支持网页朗读的浏览器（如 Chrome、Edge、Safari）。\n"
    "This server has no text-to-speech engine (espeak-ng is not installed)."
)


def speech_engine(request: Request) -> Synthesizer:
    """The process's engine, looked up once (espeak-ng on PATH, else none)."""
    found = getattr(request.app.state, "speech", None)
    if found is None:
        found = default_synthesizer()
        request.app.state.speech = found
    engine: Synthesizer = found
    return engine


def _buckets(request: Request) -> TokenBuckets:
    found = getattr(request.app.state, "speech_buckets", None)
    if not isinstance(found, TokenBuckets):
        found = TokenBuckets(PER_MIN, BURST)
        request.app.state.speech_buckets = found
    return found


def _text(message: str, status: int, **headers: str) -> Response:
    return secure(PlainTextResponse(message, status_code=status, headers=headers))


async def speech(request: Request) -> Response:
    address = str(request.scope.get(CLIENT_SCOPE_KEY) or (request.client.host if request.client else "unknown"))
    wait = _buckets(request).take(address)
    if wait > 0:
        return _text(
            "朗读请求过于频繁，请稍后再试。Too many read-aloud requests.", 429, **{"retry-after": str(math.ceil(wait))}
        )
    try:
        rate = float(request.query_params.get("rate", "1"))
    except ValueError:
        return _text("rate 必须是 0.5 到 2 之间的数。rate must be a number between 0.5 and 2.", 400)
    try:
        audio = await speech_engine(request).synthesize(request.query_params.get("text", ""), rate)
    except Invalid as exc:
        return _text(exc.message, 400)
    except Upstream as exc:
        return _text(exc.message, 502)
    if audio is None:
        return _text(NO_ENGINE, 501)
    headers = {"cache-control": "private, max-age=3600"}  # the same paragraph is often read again
    return secure(Response(audio, media_type="audio/wav", headers=headers))
