"""One root error with families; the API maps each family to a stable error code."""

from __future__ import annotations


class YiwangError(Exception):
    """Root of every error yiwang raises on purpose."""

    code = "INTERNAL"

    def __init__(self, message: str, **details: object) -> None:
        super().__init__(message)
        self.message = message
        self.details = details


class Invalid(YiwangError):
    """The caller sent something we cannot accept; the message says what to fix."""

    code = "BAD_INPUT"


class NotFound(YiwangError):
    """The thing asked for does not exist."""

    code = "NOT_FOUND"


class Unauthenticated(YiwangError):
    """The caller did not say who they are, or what they sent (a token, a session) is not valid now."""

    code = "UNAUTHENTICATED"


class Forbidden(YiwangError):
    """The caller may not do this: it lacks the role, the real-name level or the token the operation needs."""

    code = "FORBIDDEN"


class Conflict(YiwangError):
    """The request clashes with the current state (a duplicate, a port in use)."""

    code = "CONFLICT"


class Upstream(YiwangError):
    """A system we depend on (Postgres, NATS, a search engine, a crawled site) failed or is unreachable."""

    code = "UPSTREAM"


def caused_by(error: BaseException, kinds: tuple[type[BaseException], ...]) -> bool:
    """Whether `error` or one of the errors that caused it (its chain, five deep) is one of `kinds`."""
    seen: BaseException | None = error
    for _ in range(5):
        if seen is None:
            return False
        if isinstance(seen, kinds):
            return True
        seen = seen.__cause__ or seen.__context__
    return False
