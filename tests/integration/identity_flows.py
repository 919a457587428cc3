"""Driving the provider like a browser and a site would: the login form, the redirects, the token calls."""

from __future__ import annotations

import base64
import dataclasses
import hashlib
import secrets
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from html.parser import HTMLParser
from urllib.parse import parse_qs, urlencode, urlsplit

import httpx
import pytest
from argon2 import PasswordHasher

from core.identity import accounts
from core.settings import Settings
from tests.integration.conftest import serve_api


class FormParser(HTMLParser):
    """The first form's action and its named inputs (hidden ones with their values)."""

    def __init__(self) -> None:
        super().__init__()
        self.action: str | None = None
        self.fields: dict[str, str] = {}
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {k: v or "" for k, v in attrs}
        if tag == "form" and self.action is None:
            self.action = values.get("action")
        if tag == "input" and "name" in values:
            self.fields[values["name"]] = values.get("value", "")

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def parse_form(html: str) -> FormParser:
    parser = FormParser()
    parser.feed(html)
    return parser


def pkce_pair() -> tuple[str, str]:
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    return verifier, challenge


def query_of(location: str) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlsplit(location).query).items()}


@dataclass
class Browser:
    """One browser: its own cookie jar, no redirects followed (each hop is checked)."""

    base: str
    http: httpx.AsyncClient = field(init=False)

    def __post_init__(self) -> None:
        self.http = httpx.AsyncClient(base_url=self.base, follow_redirects=False, timeout=30)

    async def close(self) -> None:
        await self.http.aclose()

    async def authorize(self, **params: str) -> httpx.Response:
        return await self.http.get("/oidc/authorize?" + urlencode(params))

    async def submit_login(self, page: httpx.Response, username: str, password: str, **extra: str) -> httpx.Response:
        form = parse_form(page.text)
        assert form.action == "/oidc/login", page.text
        data = form.fields | {"username": username, "password": password} | extra
        return await self.http.post(form.action, data=data)

    async def sign_in(self, username: str, password: str, **params: str) -> httpx.Response:
        """Authorize, see the login form, sign in: the redirect back to the site."""
        page = await self.authorize(**params)
        assert page.status_code == 200, page.text
        return await self.submit_login(page, username, password)


@pytest.fixture(scope="session", autouse=True)
def quick_argon2() -> Iterator[None]:
    """Real argon2id with test-sized costs (1 pass, 8 MiB, 1 lane): the production parameters take about a
    second per hash on this shared machine and every sign-in verifies one. Hashes name their own parameters,
    so verification follows whatever made them."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(accounts, "HASHER", PasswordHasher(time_cost=1, memory_cost=8192, parallelism=1))
        patch.setattr(accounts, "_DUMMY_HASH", accounts.HASHER.hash("dummy password"))
        yield


@dataclass(frozen=True)
class Served:
    """The API served once for every identity and interop test: its URL and settings naming it the issuer."""

    url: str
    settings: Settings


@pytest.fixture(scope="session")
async def identity_server(settings: Settings) -> AsyncIterator[Served]:
    async with serve_api(settings) as url:
        yield Served(url, dataclasses.replace(settings, public_url=url))
