"""Who may call what: admin mutations need the admin token (`ADMIN_TOKEN`), sent as a bearer token."""

from __future__ import annotations

import hmac
import logging
from typing import Any

from strawberry.permission import BasePermission
from strawberry.types import Info

from core.errors import Forbidden

log = logging.getLogger(__name__)


class IsAdmin(BasePermission):
    """The request carries `Authorization: Bearer <ADMIN_TOKEN>`; with no ADMIN_TOKEN set, nobody is admin."""

    def has_permission(self, source: Any, info: Info, **kwargs: Any) -> bool:
        expected = info.context.settings.admin_token
        if not expected:
            raise Forbidden("admin mutations are off: the server has no ADMIN_TOKEN set")
        request = info.context.request
        header = request.headers.get("authorization", "") if request is not None else ""
        scheme, _, given = header.partition(" ")
        if scheme.lower() != "bearer" or not given.strip():
            raise Forbidden("this mutation is for admins: send the header Authorization: Bearer <ADMIN_TOKEN>")
        client = getattr(request.client, "host", None)
        if not hmac.compare_digest(given.strip().encode(), expected.encode()):
            log.warning("admin mutation refused: wrong token", extra={"mutation": info.field_name, "client": client})
            raise Forbidden("the admin token sent is not this server's ADMIN_TOKEN")
        # one shared token names no person: the log (with its request id) is the audit trail
        log.info("admin mutation", extra={"mutation": info.field_name, "client": client, "arguments": sorted(kwargs)})
        return True


def is_admin(info: Info) -> bool:
    """Whether the request carries this server's admin token: for showing admins more, never raises."""
    expected = info.context.settings.admin_token
    request = info.context.request
    if not expected or request is None:
        return False
    scheme, _, given = request.headers.get("authorization", "").partition(" ")
    return scheme.lower() == "bearer" and hmac.compare_digest(given.strip().encode(), expected.encode())


ADMIN: Any = [IsAdmin]  # `permission_classes=ADMIN` on every admin mutation
