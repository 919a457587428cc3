"""Reading CKAN action parameters: GET sends strings, POST sends JSON; both reach the same checks."""

from __future__ import annotations

import json
from typing import Any

from core.errors import Invalid


class ValidationError(Invalid):
    """CKAN's Validation Error: messages per field (HTTP 409)."""

    def __init__(self, fields: dict[str, list[str]]) -> None:
        message = "; ".join(f"{k}: {' '.join(v)}" for k, v in fields.items())
        super().__init__(message)
        self.fields = fields


class SearchQueryError(Invalid):
    """CKAN's Search Query Error: a q, fq or sort the search cannot read (HTTP 400)."""


def field_error(name: str, message: str) -> ValidationError:
    return ValidationError({name: [message]})


INT64_MAX = 2**63 - 1


def integer(params: dict[str, Any], name: str, default: int, *, maximum: int | None = None) -> int:
    """A natural number; values above `maximum` are cut to it, as CKAN's limit_to_configured_maximum does."""
    raw = params.get(name)
    if raw is None or raw == "":
        return default
    if isinstance(raw, bool):
        raise field_error(name, "Invalid integer")
    try:
        value = int(raw) if not isinstance(raw, float) or raw.is_integer() else None
    except (TypeError, ValueError):
        value = None
    if value is None:
        raise field_error(name, "Invalid integer")
    if value < 0:
        raise field_error(name, "Must be a natural number")
    if maximum is not None:
        return min(value, maximum)
    if value > INT64_MAX:  # past what Postgres counts in (a typo of a page number); it was a 500
        raise field_error(name, f"Must be at most {INT64_MAX}")
    return value


def boolean(params: dict[str, Any], name: str, default: bool = False) -> bool:
    raw = params.get(name)
    if raw is None or raw == "":
        return default
    if isinstance(raw, bool):
        return raw
    text = str(raw).strip().lower()
    if text in ("true", "1", "yes", "on", "t", "y"):
        return True
    if text in ("false", "0", "no", "off", "f", "n"):
        return False
    raise field_error(name, "Invalid boolean")


def text(params: dict[str, Any], name: str, default: str = "", *, required: bool = False) -> str:
    raw = params.get(name)
    if raw is None or raw == "":
        if required:
            raise field_error(name, "Missing value")
        return default
    if not isinstance(raw, str | int | float) or isinstance(raw, bool):
        raise field_error(name, "Must be a string")
    return str(raw)


def string_list(params: dict[str, Any], name: str) -> list[str]:
    """A list given as a JSON list, a JSON-encoded list string (CKAN's facet.field) or comma-separated text."""
    raw = params.get(name)
    if raw is None or raw == "":
        return []
    if isinstance(raw, str) and raw.strip().startswith("["):
        try:
            raw = json.loads(raw)
        except ValueError:
            raise field_error(name, "Invalid JSON list") from None
    if isinstance(raw, str):
        return [p.strip() for p in raw.split(",") if p.strip()]
    if isinstance(raw, list) and all(isinstance(v, str) for v in raw):
        return list(raw)
    raise field_error(name, "Must be a list of strings")


def mapping(params: dict[str, Any], name: str) -> dict[str, Any]:
    """A JSON object, given as one or as its JSON text (GET)."""
    raw = params.get(name)
    if raw is None or raw == "":
        return {}
    if isinstance(raw, str):
        try:
            raw = json.loads(raw)
        except ValueError:
            raise field_error(name, "Invalid JSON object") from None
    if not isinstance(raw, dict):
        raise field_error(name, "Must be a JSON object")
    return raw
