"""Logging setup: JSON lines in production, with request and message ids bound through contextvars."""

from __future__ import annotations

import contextvars
import json
import logging
import sys
import time
from typing import Any

request_id: contextvars.ContextVar[str | None] = contextvars.ContextVar("request_id", default=None)
message_id: contextvars.ContextVar[str | None] = contextvars.ContextVar("message_id", default=None)

_STANDARD = set(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {"message", "asctime", "taskName"}


class JsonFormatter(logging.Formatter):
    """One JSON object a line: time, level, logger, message, bound ids and the record's extras."""

    def format(self, record: logging.LogRecord) -> str:
        out: dict[str, Any] = {
            "ts": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created)) + f".{int(record.msecs):03d}Z",
            "level": record.levelname,
            "logger": record.name,
            "msg": record.getMessage(),
        }
        out.update(fields(record))
        if record.exc_info:
            out["exc"] = self.formatException(record.exc_info)
        return json.dumps(out, ensure_ascii=False, default=str)


def _text_value(value: Any) -> str:
    """A string as it is unless a reader could not tell where it ends; anything else as compact JSON."""
    if not isinstance(value, str):
        return json.dumps(value, ensure_ascii=False, default=str, separators=(",", ":"))
    plain = value and not any(c.isspace() or c in '"=' for c in value)
    return value if plain else json.dumps(value, ensure_ascii=False)


def fields(record: logging.LogRecord) -> dict[str, Any]:
    """What a line carries besides its message: the bound ids, then the record's extras."""
    out: dict[str, Any] = {key: var.get() for key, var in (("request_id", request_id), ("message_id", message_id))}
    out = {k: v for k, v in out.items() if v}
    out.update((k, v) for k, v in vars(record).items() if k not in _STANDARD and not k.startswith("_"))
    return out


class TextFormatter(logging.Formatter):
    """Readable lines for a terminal: `time level logger: message  key=value …` (values with spaces quoted)."""

    def format(self, record: logging.LogRecord) -> str:
        extras = " ".join(f"{k}={_text_value(v)}" for k, v in fields(record).items())
        base = f"{time.strftime('%H:%M:%S', time.localtime(record.created))} {record.levelname:<7} "
        base += f"{record.name}: {record.getMessage()}"
        if extras:
            base += f"  {extras}"
        if record.exc_info:
            base += "\n" + self.formatException(record.exc_info)
        return base


def setup_logging(level: str = "INFO", fmt: str = "json", process: str | None = None) -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter() if fmt == "json" else TextFormatter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    for noisy in ("jieba", "asyncio", "nats", "aiohttp.access", "uvicorn.access"):
        logging.getLogger(noisy).setLevel(max(logging.WARNING, root.level))
    if process:
        logging.getLogger(__name__).debug("logging ready", extra={"proc": process})
