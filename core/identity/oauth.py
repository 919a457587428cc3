"""The protocol's own errors (RFC 6749 §5.2, OIDC Core §3.1.2.6): an `error` code the client reads."""

from __future__ import annotations

from core.errors import Invalid


class OAuthError(Invalid):
    """A refused OAuth/OIDC request: `error` is the protocol's code (invalid_grant, invalid_client, …)."""

    def __init__(self, error: str, description: str, *, status: int = 400) -> None:
        super().__init__(description)
        self.error = error
        self.description = description
        self.status = status

    def body(self) -> dict[str, str]:
        return {"error": self.error, "error_description": self.description}
