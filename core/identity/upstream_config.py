"""Upstream identity providers (IDENTITY_UPSTREAMS): which ones the login page offers, where they live and how
their claims map onto a local account. docs/identity.md ("Upstream federation") describes every key."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urlsplit

import yaml

from core.errors import Invalid
from core.settings import Settings

NAME = re.compile(r"[a-z0-9][a-z0-9-]{1,31}")
KINDS = ("oidc", "oauth2")
AUTH_METHODS = ("client_secret_basic", "client_secret_post", "none")
DEFAULT_LABEL = "使用省统一身份认证平台登录"
MAX_LEVEL = 3
KEYS = {
    "name",
    "label",
    "kind",
    "issuer",
    "authorization_endpoint",
    "token_endpoint",
    "userinfo_endpoint",
    "client_id",
    "client_secret",
    "token_endpoint_auth_method",
    "scopes",
    "claims",
    "link_min_level",
}
CLAIM_KEYS = {"subject", "name", "real_name_level", "id_number"}


@dataclass(frozen=True, kw_only=True)
class ClaimMap:
    """Where each local field comes from in the upstream's claims (dotted paths reach nested objects, e.g.
    `data.certNo`); None: the upstream does not provide it."""

    subject: str = "sub"
    name: str = "name"
    real_name_level: str | None = "real_name_level"
    id_number: str | None = None


@dataclass(frozen=True, kw_only=True)
class Upstream:
    """One upstream provider: an OpenID Connect provider (endpoints and keys from its discovery document, an
    ID token verified) or a generic OAuth2 one (three endpoints; who the person is comes from userinfo)."""

    name: str
    label: str
    kind: str
    issuer: str | None
    authorization_endpoint: str | None
    token_endpoint: str | None
    userinfo_endpoint: str | None
    client_id: str
    client_secret: str | None = field(default=None, repr=False)
    token_endpoint_auth_method: str
    scopes: tuple[str, ...]
    claims: ClaimMap
    link_min_level: int  # an existing account is linked by its ID-number hash only at this real-name level or above

    def callback_path(self) -> str:
        return f"/oidc/upstream/{self.name}/callback"

    def start_path(self) -> str:
        return f"/oidc/upstream/{self.name}"


def _url(value: object, what: str) -> str:
    if not isinstance(value, str) or urlsplit(value).scheme not in ("http", "https") or not urlsplit(value).hostname:
        raise Invalid(f"IDENTITY_UPSTREAMS: {what} must be an absolute http(s) URL, not {value!r}")
    return value.rstrip("/") if what.endswith("issuer") else value


def _text(entry: Mapping[str, Any], key: str, where: str, default: str | None = None) -> str | None:
    value = entry.get(key, default)
    if value is not None and (not isinstance(value, str) or not value.strip()):
        raise Invalid(f"IDENTITY_UPSTREAMS: {where}.{key} must be a non-empty string")
    return value


def _claims(raw: object, where: str) -> ClaimMap:
    if raw is None:
        return ClaimMap()
    if not isinstance(raw, dict) or set(raw) - CLAIM_KEYS:
        raise Invalid(f"IDENTITY_UPSTREAMS: {where}.claims must be an object with keys {', '.join(sorted(CLAIM_KEYS))}")
    for key, value in raw.items():
        if value is not None and (not isinstance(value, str) or not value):
            raise Invalid(f"IDENTITY_UPSTREAMS: {where}.claims.{key} must be a claim name (or null)")
    if raw.get("subject", "sub") is None or raw.get("name", "name") is None:
        raise Invalid(f"IDENTITY_UPSTREAMS: {where}.claims.subject and .name cannot be null")
    return ClaimMap(**raw)


def _scopes(raw: object, kind: str, where: str) -> tuple[str, ...]:
    if raw is None:
        raw = ["openid", "profile"] if kind == "oidc" else []
    if isinstance(raw, str):
        raw = raw.split()
    if not isinstance(raw, list) or not all(isinstance(s, str) and s and " " not in s for s in raw):
        raise Invalid(f"IDENTITY_UPSTREAMS: {where}.scopes must be a list of scope names")
    if kind == "oidc" and "openid" not in raw:
        raw = ["openid", *raw]
    return tuple(dict.fromkeys(raw))


def _endpoints(entry: Mapping[str, Any], kind: str, where: str) -> dict[str, str | None]:
    names = ("authorization_endpoint", "token_endpoint", "userinfo_endpoint")
    found = {n: _url(entry[n], f"{where}.{n}") if entry.get(n) is not None else None for n in names}
    if kind == "oidc":
        found["issuer"] = _url(entry.get("issuer"), f"{where}.issuer")
    else:
        if entry.get("issuer") is not None:
            raise Invalid(f"IDENTITY_UPSTREAMS: {where} is kind oauth2: it has no issuer (use kind oidc)")
        missing = [n for n in names if found[n] is None]
        if missing:
            raise Invalid(f"IDENTITY_UPSTREAMS: {where} (kind oauth2) needs {', '.join(missing)}")
        found["issuer"] = None
    return found


def _upstream(entry: object, index: int) -> Upstream:
    where = f"[{index}]"
    if not isinstance(entry, dict):
        raise Invalid(f"IDENTITY_UPSTREAMS: {where} must be an object")
    unknown = set(entry) - KEYS
    if unknown:
        raise Invalid(f"IDENTITY_UPSTREAMS: {where} has unknown keys {', '.join(sorted(unknown))}")
    name = entry.get("name")
    if not isinstance(name, str) or not NAME.fullmatch(name):
        raise Invalid(f"IDENTITY_UPSTREAMS: {where}.name must be 2-32 lowercase letters, digits or -")
    where = f"[{index}] ({name})"
    kind = entry.get("kind", "oidc")
    if kind not in KINDS:
        raise Invalid(f"IDENTITY_UPSTREAMS: {where}.kind must be oidc or oauth2, not {kind!r}")
    secret = _text(entry, "client_secret", where)
    method = entry.get("token_endpoint_auth_method", "client_secret_basic" if secret else "none")
    if method not in AUTH_METHODS or (method == "none") != (secret is None):
        raise Invalid(f"IDENTITY_UPSTREAMS: {where}.token_endpoint_auth_method must fit the client secret")
    level = entry.get("link_min_level", 1)
    if not isinstance(level, int) or not 0 <= level <= MAX_LEVEL:
        raise Invalid(f"IDENTITY_UPSTREAMS: {where}.link_min_level must be 0-3")
    endpoints = _endpoints(entry, kind, where)
    return Upstream(
        name=name,
        label=_text(entry, "label", where, DEFAULT_LABEL) or DEFAULT_LABEL,
        kind=kind,
        issuer=endpoints["issuer"],
        authorization_endpoint=endpoints["authorization_endpoint"],
        token_endpoint=endpoints["token_endpoint"],
        userinfo_endpoint=endpoints["userinfo_endpoint"],
        client_id=_text(entry, "client_id", where) or _missing(where, "client_id"),
        client_secret=secret,
        token_endpoint_auth_method=method,
        scopes=_scopes(entry.get("scopes"), kind, where),
        claims=_claims(entry.get("claims"), where),
        link_min_level=level,
    )


def _missing(where: str, key: str) -> str:
    raise Invalid(f"IDENTITY_UPSTREAMS: {where}.{key} is required")


def _load(raw: str) -> object:
    text = raw.strip()
    if text.startswith(("[", "{")):
        source, body = "the JSON value", text
    else:
        path = Path(text)
        try:
            source, body = str(path), path.read_text(encoding="utf-8")
        except OSError as exc:
            raise Invalid(f"IDENTITY_UPSTREAMS: cannot read {path}: {exc.strerror}") from None
        if path.suffix in (".yaml", ".yml"):
            try:
                return yaml.safe_load(body)
            except yaml.YAMLError as exc:
                raise Invalid(f"IDENTITY_UPSTREAMS: {path} is not valid YAML: {exc}") from None
    try:
        return json.loads(body)
    except json.JSONDecodeError as exc:
        raise Invalid(f"IDENTITY_UPSTREAMS: {source} is not valid JSON: {exc.msg} at line {exc.lineno}") from None


@lru_cache(maxsize=8)
def parse_upstreams(raw: str) -> tuple[Upstream, ...]:
    """The upstreams of IDENTITY_UPSTREAMS: a JSON list, or the path of a .json or .yaml file holding one
    (an object with an `upstreams` list works too). Raises Invalid naming the entry and key at fault."""
    if not raw.strip():
        return ()
    loaded = _load(raw)
    if isinstance(loaded, dict) and set(loaded) == {"upstreams"}:
        loaded = loaded["upstreams"]
    if not isinstance(loaded, list):
        raise Invalid("IDENTITY_UPSTREAMS must be a list of upstream providers")
    made = [_upstream(entry, i) for i, entry in enumerate(loaded)]
    names = [u.name for u in made]
    if len(set(names)) != len(names):
        raise Invalid("IDENTITY_UPSTREAMS: two upstreams have the same name")
    return tuple(made)


def configured(settings: Settings) -> dict[str, Upstream]:
    return {u.name: u for u in parse_upstreams(settings.identity_upstreams)}


def login_links(settings: Settings, params: Mapping[str, str]) -> list[dict[str, str]]:
    """What the login page offers beside its form: each upstream's label and the link that starts signing in
    there, carrying the site's authorization request (`params`) so it resumes afterwards."""
    query = urlencode(dict(params))
    return [
        {"label": u.label, "url": u.start_path() + (f"?{query}" if query else "")}
        for u in configured(settings).values()
    ]


def claim(claims: Mapping[str, Any], path: str | None) -> object:
    """The value at a dotted path of the claims (None when absent)."""
    if path is None:
        return None
    value: object = claims
    for part in path.split("."):
        if not isinstance(value, Mapping) or part not in value:
            return None
        value = value[part]
    return value


def level_of(value: object) -> int:
    """A real-name level from a claim (an integer or digits; anything else is 0), clamped to 0-3."""
    if isinstance(value, bool):
        return 0
    if isinstance(value, str) and value.strip().lstrip("-").isdigit():
        value = int(value.strip())
    if not isinstance(value, int):
        return 0
    return max(0, min(MAX_LEVEL, value))
