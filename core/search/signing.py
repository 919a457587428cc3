"""Signed search ids (what recordClick may name) and the day-salted client hashes of suggestion counting."""

from __future__ import annotations

import base64
import hashlib
import hmac
import ipaddress
import logging
import re
import secrets
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from core.errors import Invalid

log = logging.getLogger(__name__)

CLICK_WINDOW = timedelta(days=1)  # a search id can be clicked for a day after the search
# A tag per (position, document) shown: 24 bits of HMAC in 4 base64url characters. A document that was not at
# the position passes with odds of 1 in 16.7 million per tag of the id (an id holds a page and its scenes' hits).
TAG_CHARS = 4
# nonce . page . page size . hits served . scene hits . issued (unix s) . tags . mac
_ID = re.compile(
    r"([0-9a-f]{32})\.(\d{1,6})\.(\d{1,6})\.(\d{1,6})\.(\d{1,3})\.(\d{1,12})\.((?:[A-Za-z0-9_-]{4}){0,500})"
    r"\.([0-9a-f]{32})",
    re.ASCII,
)


@dataclass(frozen=True, kw_only=True)
class ServedPage:
    """What one search served, as its signed id carries it: events name the search by `nonce`."""

    nonce: str
    page: int
    page_size: int
    served: int  # hits on the page
    scene_hits: int  # the most hits any scene showed (scene hits are numbered 1..n on every page)
    issued: int  # unix seconds
    tags: frozenset[str]  # of the (position, document) pairs shown, see Signer.showed

    def allows(self, position: int) -> bool:
        """A position that was on the page (or in a scene) of this search."""
        first = (self.page - 1) * self.page_size + 1
        return first <= position < first + self.served or 1 <= position <= self.scene_hits


def _derive(master: bytes, label: str) -> bytes:
    return hmac.new(master, label.encode(), hashlib.sha256).digest()


class Signer:
    """HMAC-SHA256 over search ids and client addresses with keys derived from SEARCH_ID_KEY.

    Without a key, a random one is made for this process: ids it signed are refused by other processes and
    after a restart, and a client is counted again by another process on the same day."""

    def __init__(self, key: str | None) -> None:
        if key:
            master = key.encode()
        else:
            master = secrets.token_bytes(32)
            log.warning("SEARCH_ID_KEY is not set: search ids are signed with a key of this process only")
        self._ids = _derive(master, "search-id:v1")
        self._hits = _derive(master, "search-hit:v1")
        self._clients = _derive(master, "suggest-client:v1")

    def _mac(self, payload: str) -> str:
        return hmac.new(self._ids, payload.encode(), hashlib.sha256).hexdigest()[:32]

    def _tag(self, nonce: str, position: int, document_id: str) -> str:
        digest = hmac.new(self._hits, f"{nonce}\0{position}\0{document_id}".encode(), hashlib.sha256).digest()
        return base64.urlsafe_b64encode(digest[:3]).decode()

    def sign(
        self,
        *,
        page: int,
        page_size: int,
        served: int,
        scene_hits: int,
        at: datetime,
        shown: Iterable[tuple[int, str]] = (),
    ) -> str:
        """A new search id: a random nonce and what the search served (the documents `shown` at each position of
        the page and of the scenes, as tags that only this key can make), signed."""
        nonce = uuid.uuid4().hex
        tags = "".join(sorted({self._tag(nonce, position, doc) for position, doc in shown}))
        fields = (nonce, min(page, 999_999), page_size, served, scene_hits, int(at.timestamp()), tags)
        payload = ".".join(str(f) for f in fields)
        return f"{payload}.{self._mac(payload)}"

    def verify(self, search_id: str, *, now: datetime) -> ServedPage:
        """The page a signed id served; Invalid for an id this server did not sign or that has expired."""
        m = _ID.fullmatch(search_id)
        if m is None or not hmac.compare_digest(self._mac(search_id.rsplit(".", 1)[0]), m[8]):
            raise Invalid("searchId is not an id returned by search")
        tags = frozenset(m[7][i : i + TAG_CHARS] for i in range(0, len(m[7]), TAG_CHARS))
        page = ServedPage(
            nonce=m[1],
            page=int(m[2]),
            page_size=int(m[3]),
            served=int(m[4]),
            scene_hits=int(m[5]),
            issued=int(m[6]),
            tags=tags,
        )
        if not -60 <= now.timestamp() - page.issued <= CLICK_WINDOW.total_seconds():
            raise Invalid("searchId has expired: clicks are recorded for a day after the search")
        return page

    def showed(self, page: ServedPage, position: int, document_id: str) -> bool:
        """Whether the search showed this document at this position (on its page or in a scene)."""
        return self._tag(page.nonce, position, document_id) in page.tags

    def client_hash(self, client: str, day: date) -> str:
        """The client as counted on one day: keyed by the secret and the day, so days cannot be linked."""
        message = f"{day.isoformat()}\0{client_bucket(client)}".encode()
        return hmac.new(self._clients, message, hashlib.sha256).hexdigest()[:32]


def client_bucket(address: str) -> str:
    """One client per IPv4 address and per IPv6 /64 (a host gets a whole /64 and can pick any address in it)."""
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return address
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            return str(ip.ipv4_mapped)
        return str(ipaddress.IPv6Network((ip, 64), strict=False))
    return str(ip)


def nonce_of(search_id: str) -> str:
    """The part of a signed id that events and analytics name the search by (32 hex digits, as before)."""
    return search_id.split(".", 1)[0]
