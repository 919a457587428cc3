"""Who may call what: each admin field needs a role of the signed-in caller, and every check, allowed or refused,
is written to the audit trail (core.audit) here, so no resolver has to remember it.

`ADMIN` (the web office) guards what acts on the whole group; `SITE_EDITOR` what acts on the one site named by the
field's `site` argument (an admin passes too). Anonymous callers get UNAUTHENTICATED, signed-in callers without
the role FORBIDDEN naming the role. The ADMIN_TOKEN, when set, is the break-glass principal: an admin whose every
call is audited and logged at WARNING (core.audit.record)."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any, ClassVar

from strawberry.permission import BasePermission
from strawberry.types import Info

from core.audit import AuditRecord, record, redact
from core.audit.models import Actor
from core.errors import Forbidden, Unauthenticated, YiwangError
from core.identity.auth import is_break_glass
from core.identity.principal import Principal, RoleName
from core.logs import request_id

log = logging.getLogger(__name__)


@dataclass(frozen=True, kw_only=True)
class Need:
    """The role a call needs: `admin`, `editor` of one site, or `replier` for one department."""

    role: RoleName
    site_id: str | None = None
    department: str | None = None

    def describe(self) -> str:
        if self.role == "editor":
            return f"editor of site {self.site_id}" if self.site_id else "editor"
        if self.role == "replier":
            return f"replier for {self.department}" if self.department else "replier"
        return "admin"


def decide(principal: Principal | None, need: Need, operation: str) -> YiwangError | None:
    """None when the caller may make the call; else the error to answer with (UNAUTHENTICATED or FORBIDDEN)."""
    if principal is None:
        return Unauthenticated(
            f"{operation} needs the role {need.describe()}: sign in and send Authorization: Bearer <access token>"
        )
    if principal.has_role(need.role, site_id=need.site_id, department=need.department):
        return None
    return Forbidden(f"{operation} needs the role {need.describe()}, which {principal.username} does not hold")


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part[:1].upper() + part[1:] for part in rest)


def _actor(principal: Principal | None) -> Actor:
    if principal is None:
        return "anonymous"
    return "break-glass" if principal.break_glass else "user"


async def audit(
    info: Info, principal: Principal | None, need: Need, arguments: dict[str, Any], refusal: YiwangError | None
) -> None:
    """Write the call to the audit trail (who, what, when, from where, allowed or refused)."""
    operation = info.field_name
    entry = AuditRecord(
        actor=_actor(principal),
        user_id=principal.user_id if principal else None,
        username=principal.username if principal else "",
        operation=operation,
        operation_type=info.operation.operation.value,
        arguments=redact({_camel(k): v for k, v in arguments.items()}),
        site_id=need.site_id,
        role_needed=need.describe(),
        outcome="refused" if refusal else "allowed",
        reason=refusal.message if refusal else "",
        client=info.context.client,
        request_id=request_id.get(),
    )
    await record(pool=info.context.pool, entry=entry)
    if refusal is not None:
        log.info(
            "guarded call refused", extra={"operation": operation, "username": entry.username, "code": refusal.code}
        )
    else:
        log.info("guarded call", extra={"operation": operation, "username": entry.username})


class RoleCheck(BasePermission):
    """Base of every role check: `need` says which role the call needs from its arguments."""

    role: ClassVar[RoleName] = "admin"

    def need(self, arguments: dict[str, Any]) -> Need:
        return Need(role=self.role)

    async def need_of(self, info: Info, arguments: dict[str, Any]) -> Need:
        """The role needed, for checks that must load what the call names (a request's department); else `need`."""
        return self.need(arguments)

    async def has_permission(self, source: Any, info: Info, **kwargs: Any) -> bool:
        need = await self.need_of(info, kwargs)
        try:
            principal = await info.context.principal()
        except Unauthenticated as exc:  # a token that is not valid: refused, and audited like any refusal
            await self._audit_refusal(info, None, need, kwargs, exc)
            raise
        refusal = decide(principal, need, info.field_name)
        if refusal is not None:
            await self._audit_refusal(info, principal, need, kwargs, refusal)
            raise refusal
        await audit(info, principal, need, kwargs, None)  # no row, no call: a failure here refuses the call
        return True

    @staticmethod
    async def _audit_refusal(
        info: Info, principal: Principal | None, need: Need, arguments: dict[str, Any], refusal: YiwangError
    ) -> None:
        """A refusal is answered as a refusal even when its row cannot be written (it changed nothing)."""
        try:
            await audit(info, principal, need, arguments, refusal)
        except Exception:
            log.exception("audit trail not written for a refused call", extra={"operation": info.field_name})


class IsAdmin(RoleCheck):
    """The web office: everything, across the group."""

    role = "admin"


class IsSiteEditor(RoleCheck):
    """An editor of the site the call names in its `site` argument (or an admin)."""

    role = "editor"
    argument: ClassVar[str] = "site"

    def need(self, arguments: dict[str, Any]) -> Need:
        site = arguments.get(self.argument)
        # a call that names no site acts on the whole group: that is the web office's
        return Need(role="editor", site_id=str(site)) if site is not None else Need(role="admin")


def role_checks(permission_classes: list[type[BasePermission]]) -> list[type[RoleCheck]]:
    """The role checks among a field's permission classes (the schema test walks every mutation with it)."""
    return [p for p in permission_classes if isinstance(p, type) and issubclass(p, RoleCheck)]


async def caller_is_admin(info: Info) -> bool:
    """Whether the caller holds the admin role: for showing admins more; never raises."""
    try:
        principal = await info.context.principal()
    except YiwangError:
        return False
    return principal is not None and principal.has_role("admin")


def is_admin(info: Info) -> bool:
    """Synchronous form of `caller_is_admin` for resolvers that cannot await: true for the break-glass token, or
    for an admin whose token this request has already verified (a guarded field ran first)."""
    token = info.context.bearer_token()
    if token and is_break_glass(info.context.settings, token):
        return True
    known: Principal | None = getattr(info.context, "_principal", None)
    return known is not None and known.has_role("admin")


async def acting_username(info: Info) -> str:
    """Who acts, for `created_by` columns: the caller's username ("break-glass" for the ADMIN_TOKEN)."""
    principal = await info.context.principal()
    return principal.username if principal else ""


ADMIN: Any = [IsAdmin]  # `permission_classes=ADMIN`: the web office only
SITE_EDITOR: Any = [IsSiteEditor]  # `permission_classes=SITE_EDITOR`: the editors of the `site` argument, and admins
