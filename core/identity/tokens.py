"""Access and ID tokens (placeholder until the provider lands: every token is refused)."""

from __future__ import annotations

from datetime import datetime

import asyncpg

from core.errors import Unauthenticated
from core.identity.principal import Principal
from core.settings import Settings


async def verify_access_token(*, pool: asyncpg.Pool, settings: Settings, token: str, now: datetime) -> Principal:
    raise Unauthenticated("this access token is not valid")
