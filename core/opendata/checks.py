"""Checking a CKAN package dictionary (package_create / package_patch) into column values, field by field."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from core.opendata.models import FREQUENCIES
from core.opendata.params import ValidationError
from core.opendata.tokens import document_text

NAME = re.compile(r"^[a-z0-9_-]{2,100}$")
NAME_MESSAGE = "Must be purely lowercase alphanumeric (ascii) characters and these symbols: -_ (2 to 100)"
TEXT_FIELDS = {"title": 500, "notes": 100_000, "license_id": 100, "license_title": 200, "version": 100}
OURS = {  # our fields -> column, max length
    "maintainer": ("contact_name", 200),
    "maintainer_email": ("contact_email", 200),
    "contact_phone": ("contact_phone", 50),
    "spatial_coverage": ("spatial", 200),
}
RESOURCE_TEXT = {"name": 500, "description": 100_000, "format": 50, "url": 2000, "mimetype": 100}
MAX_TAGS = 50
MAX_RESOURCES = 200
MAX_SIZE = 2**63 - 1  # a resource's size in bytes is a bigint


@dataclass
class Checked:
    """A package dictionary checked: column values, references to resolve, resources; errors per field."""

    values: dict[str, Any] = field(default_factory=dict)
    owner_org: str | None = None
    domain: str | None = None
    resources: list[dict[str, Any]] | None = None
    errors: dict[str, list[str]] = field(default_factory=dict)

    def fail(self, name: str, message: str) -> None:
        self.errors.setdefault(name, []).append(message)

    def raise_errors(self) -> None:
        if self.errors:
            raise ValidationError(self.errors)


def _text(out: Checked, data: dict[str, Any], key: str, column: str, limit: int) -> None:
    if key not in data:
        return
    value = data[key]
    if value is None:
        value = ""
    if not isinstance(value, str):
        out.fail(key, "Must be a string")
    elif len(value) > limit:
        out.fail(key, f"Must be at most {limit} characters")
    else:
        out.values[column] = value.strip()


def _date(out: Checked, data: dict[str, Any], key: str) -> None:
    if key not in data:
        return
    raw = data[key]
    if raw in (None, ""):
        out.values[key] = None
        return
    try:
        out.values[key] = date.fromisoformat(str(raw)[:10])
    except ValueError:
        out.fail(key, "Date format incorrect (YYYY-MM-DD)")


def _tags(out: Checked, raw: Any) -> None:
    if not isinstance(raw, list):
        out.fail("tags", "Must be a list")
        return
    names = []
    for tag in raw:
        name = tag.get("name") if isinstance(tag, dict) else tag
        if not isinstance(name, str) or not 1 <= len(name.strip()) <= 100:
            out.fail("tags", "Tag names are 1 to 100 characters")
            return
        names.append(name.strip())
    if len(names) > MAX_TAGS:
        out.fail("tags", f"At most {MAX_TAGS} tags")
    out.values["tags"] = list(dict.fromkeys(names))


def _bbox(out: Checked, data: dict[str, Any]) -> None:
    raw = data.get("bbox")
    if raw is None:
        return
    if (
        not isinstance(raw, list)
        or len(raw) != 4
        or not all(isinstance(v, int | float) and not isinstance(v, bool) for v in raw)
        or raw[0] > raw[2]
        or raw[1] > raw[3]
    ):
        out.fail("bbox", "Must be [minx, miny, maxx, maxy] with min <= max")
        return
    out.values["bbox"] = [float(v) for v in raw]


def _extras(out: Checked, raw: Any) -> None:
    if not isinstance(raw, list) or not all(isinstance(e, dict) and isinstance(e.get("key"), str) for e in raw):
        out.fail("extras", "Must be a list of {key, value}")
        return
    out.values["extras"] = {e["key"]: "" if e.get("value") is None else str(e["value"]) for e in raw}


def _refs(out: Checked, data: dict[str, Any]) -> None:
    if "owner_org" in data:
        if not isinstance(data["owner_org"], str) or not data["owner_org"]:
            out.fail("owner_org", "Missing value")
        else:
            out.owner_org = data["owner_org"]
    groups = data.get("groups")
    if isinstance(groups, list) and groups:
        first = groups[0]
        out.domain = str(first.get("name") or first.get("id") or "") if isinstance(first, dict) else str(first)
    elif groups is not None and not isinstance(groups, list):
        out.fail("groups", "Must be a list")
    if isinstance(data.get("domain"), str) and data["domain"]:
        out.domain = data["domain"]


def check_resource(raw: Any, where: str = "resources") -> dict[str, Any]:
    """One resource dictionary as column values; ValidationError naming what is wrong."""
    if not isinstance(raw, dict):
        raise ValidationError({where: ["Each resource must be an object"]})
    values: dict[str, Any] = {}
    for key, limit in RESOURCE_TEXT.items():
        value = raw.get(key)
        if value is None:
            continue
        if not isinstance(value, str) or len(value) > limit:
            raise ValidationError({where: [f"{key} must be a string of at most {limit} characters"]})
        values[key] = value.strip()
    url = values.get("url", "")
    if url and not re.match(r"^https?://", url, re.IGNORECASE):
        raise ValidationError({where: ["url must be an http(s) URL"]})
    size = raw.get("size")
    if isinstance(size, str) and size.strip().isdecimal() and len(size.strip()) <= 20:  # multipart: all text
        size = int(size)  # (isdigit() takes ², which int() refuses; int() refuses past 4,300 digits)
    if size is not None:
        if isinstance(size, bool) or not isinstance(size, int) or not 0 <= size <= MAX_SIZE:
            raise ValidationError({where: [f"size must be a natural number of bytes, at most {MAX_SIZE}"]})
        values["size"] = size
    values["format"] = values.get("format", "").upper()
    return values


def _name(out: Checked, data: dict[str, Any], creating: bool) -> None:
    if not creating and "name" not in data:
        return
    name = data.get("name")
    if not isinstance(name, str) or not name:
        out.fail("name", "Missing value")
    elif not NAME.match(name):
        out.fail("name", NAME_MESSAGE)
    else:
        out.values["name"] = name


def _flags(out: Checked, data: dict[str, Any]) -> None:
    if "private" in data:
        if not isinstance(data["private"], bool):
            out.fail("private", "Must be true or false")
        else:
            out.values["private"] = data["private"]
    frequency = data.get("update_frequency")
    if frequency is not None:
        if frequency not in FREQUENCIES:
            out.fail("update_frequency", f"Must be one of {' '.join(FREQUENCIES)}")
        else:
            out.values["frequency"] = frequency


def check_dataset(data: Any, *, creating: bool) -> Checked:
    """The package dictionary as column values; raises ValidationError listing every wrong field."""
    out = Checked()
    if not isinstance(data, dict):
        raise ValidationError({"__all__": ["The package must be a JSON object"]})
    _name(out, data, creating)
    for key, limit in TEXT_FIELDS.items():
        _text(out, data, key, key, limit)
    for key, (column, limit) in OURS.items():
        _text(out, data, key, column, limit)
    if creating and not out.values.get("title"):
        out.values["title"] = str(data.get("name") or "")
    _refs(out, data)
    if creating and out.owner_org is None and "owner_org" not in out.errors:
        out.fail("owner_org", "An organization must be supplied")
    if "tags" in data:
        _tags(out, data["tags"])
    _flags(out, data)
    _date(out, data, "temporal_start")
    _date(out, data, "temporal_end")
    _bbox(out, data)
    if "extras" in data:
        _extras(out, data["extras"])
    if "resources" in data:
        out.resources = _resources(out, data["resources"])
    out.raise_errors()
    return out


def _resources(out: Checked, raw: Any) -> list[dict[str, Any]] | None:
    if not isinstance(raw, list) or len(raw) > MAX_RESOURCES:
        out.fail("resources", f"Must be a list of at most {MAX_RESOURCES} resources")
        return None
    try:
        return [check_resource(r) for r in raw]
    except ValidationError as exc:
        for k, v in exc.fields.items():
            out.errors.setdefault(k, []).extend(v)
        return None


def search_text(values: dict[str, Any], organization: str, domain: str) -> str:
    """What a dataset is found by: title, notes, tags, department and domain."""
    tags = " ".join(values.get("tags") or [])
    return document_text(values.get("title", ""), values.get("notes", ""), tags, organization, domain)
