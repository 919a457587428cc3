"""Who is calling: the person behind a verified access token, with their roles."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal
from uuid import UUID

RoleName = Literal["admin", "editor", "replier"]
ROLE_NAMES: tuple[RoleName, ...] = ("admin", "editor", "replier")
AccountKind = Literal["person", "legal"]


@dataclass(frozen=True, kw_only=True)
class Role:
    """`admin`: the web office (everything); `editor` of one site; `replier` for one department."""

    name: RoleName
    site_id: str | None = None  # editor: the site edited
    department: str | None = None  # replier: the department whose letters they answer


@dataclass(frozen=True, kw_only=True)
class Principal:
    """A signed-in caller. `break_glass` is the ADMIN_TOKEN bootstrap, which names no person."""

    user_id: UUID | None
    username: str
    name: str
    kind: AccountKind = "person"
    real_name_level: int = 0
    roles: tuple[Role, ...] = ()
    client_id: str | None = None
    scopes: frozenset[str] = field(default_factory=frozenset)
    session_id: UUID | None = None
    break_glass: bool = False

    def has_role(self, name: RoleName, *, site_id: str | None = None, department: str | None = None) -> bool:
        """Admins hold every role; an editor or replier role counts only for its own site or department."""
        for role in self.roles:
            if role.name == "admin":
                return True
            if role.name != name:
                continue
            if name == "editor" and (site_id is None or role.site_id == site_id):
                return True
            if name == "replier" and (department is None or role.department == department):
                return True
        return False
