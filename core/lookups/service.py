"""Personal lookups a process holds: who may look up what, the connector with a timeout, and the audit row."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from urllib.parse import quote

import asyncpg

from core.audit import AuditRecord, record
from core.clock import Clock, local_date, system_clock
from core.errors import Forbidden, Invalid, Unauthenticated, Upstream, YiwangError
from core.identity import accounts
from core.identity.principal import Principal
from core.logs import request_id
from core.lookups.answers import record_text, sign_in_text, unavailable_text
from core.lookups.connector import PersonalRecordsConnector
from core.lookups.intent import follow_up, personal_question
from core.lookups.models import KINDS, Holder, PersonalAnswer, PersonalRecord, RecordKind

log = logging.getLogger(__name__)
Who = Callable[[], Awaitable[Principal | None]]
ROLE_NEEDED = "the signed-in person or legal person whose record it is"


def login_url(issuer: str, back_to: str = "/ask") -> str:
    """Where a citizen signs in (the portal's sign-in, which starts the site group's OpenID Connect login)."""
    return f"{issuer}/signin?next={quote(back_to, safe='/')}"


class PersonalLookups:
    """The signed-in user's own records from a connector: audited (allowed or refused), bounded by a timeout."""

    def __init__(
        self,
        pool: asyncpg.Pool,
        connector: PersonalRecordsConnector,
        *,
        login_url: str,
        timeout_s: float = 3.0,
        clock: Clock = system_clock,
    ) -> None:
        self._pool = pool
        self.connector = connector
        self.login_url = login_url
        self._timeout_s = timeout_s
        self._clock = clock

    async def fetch(
        self, *, principal: Principal | None, kind: str, client: str, operation: str = "myRecords"
    ) -> PersonalRecord:
        """The caller's own record of `kind`: UNAUTHENTICATED when anonymous, FORBIDDEN for the break-glass
        token (it names no person), UPSTREAM when the connector fails or is slower than the timeout."""
        if kind not in KINDS:
            raise Invalid(f"kind must be one of {', '.join(KINDS)}, not {kind!r}")
        refusal = _refusal(principal, operation)
        if refusal is not None:
            await self._audit(principal, kind, operation, client, refusal.message, refused=True)
            raise refusal
        assert principal is not None and principal.user_id is not None
        holder = Holder(
            user_id=principal.user_id,
            username=principal.username,
            name=principal.name,
            kind=principal.kind,
            region_code=await accounts.region_of(pool=self._pool, user_id=principal.user_id),
        )
        try:
            today = local_date(self._clock())
            found = await asyncio.wait_for(self.connector.fetch(holder=holder, kind=kind, today=today), self._timeout_s)
        except Exception as exc:  # whatever the connector raised: the caller sees UPSTREAM, the log the cause
            reason = "timed out" if isinstance(exc, TimeoutError) else type(exc).__name__
            log.warning("personal records connector failed", extra={"connector": self.connector.name, "error": reason})
            await self._audit(principal, kind, operation, client, f"connector failed: {reason}", refused=False)
            raise Upstream(f"the {kind} records service is unavailable ({reason}); try again later") from None
        await self._audit(principal, kind, operation, client, "", refused=False)
        return found

    async def answer(self, question: str, *, who: Who, client: str, told: str | None = None) -> PersonalAnswer | None:
        """The reply to a question about one's own record, or None when the question is not one; after an answer
        that told `told` (余额…), 那医保呢 asks the same of that record. Never raises for the asker: anonymous →
        "please sign in" with the login URL; a failed connector → "try later"."""
        asked = personal_question(question) or follow_up(question, told)
        if asked is None:
            return None
        expired = False
        try:
            principal = await who()
        except Unauthenticated:
            principal, expired = None, True
        if principal is None or principal.user_id is None:
            await self._audit(principal, asked.kind, "ask", client, "not signed in as a person", refused=True)
            text = sign_in_text(asked.kind, self.login_url, expired=expired)
            return PersonalAnswer(
                kind="need_sign_in", text=text, record_kind=asked.kind, login_url=self.login_url, aspect=asked.aspect
            )
        try:
            found = await self.fetch(principal=principal, kind=asked.kind, client=client, operation="ask")
        except Upstream:
            return PersonalAnswer(
                kind="unavailable", text=unavailable_text(asked.kind), record_kind=asked.kind, aspect=asked.aspect
            )
        text = record_text(found, asked.aspect)
        return PersonalAnswer(kind="personal", text=text, record_kind=asked.kind, record=found, aspect=asked.aspect)

    async def _audit(
        self,
        principal: Principal | None,
        kind: RecordKind | str,
        operation: str,
        client: str,
        reason: str,
        *,
        refused: bool,
    ) -> None:
        entry = AuditRecord(
            actor="anonymous" if principal is None else ("break-glass" if principal.break_glass else "user"),
            user_id=principal.user_id if principal else None,
            username=principal.username if principal else "",
            operation=operation,
            operation_type="query",
            arguments={"kind": kind},
            role_needed=ROLE_NEEDED,
            outcome="refused" if refused else "allowed",
            reason=reason,
            client=client,
            request_id=request_id.get(),
        )
        await record(pool=self._pool, entry=entry)


def _refusal(principal: Principal | None, operation: str) -> YiwangError | None:
    if principal is None:
        return Unauthenticated(
            f"{operation}: sign in first (Authorization: Bearer <access token> from the site group login)"
        )
    if principal.user_id is None:
        return Forbidden(f"{operation}: the break-glass token names no person; sign in as the record's holder")
    return None
