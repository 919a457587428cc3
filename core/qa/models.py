"""Question-answer pairs, their basis, and what `ask` replies."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from core.errors import Invalid
from core.lookups.models import PersonalRecord
from core.qa.graph.models import GraphNode

STATUSES = ("active", "retired")
BASIS_KINDS = ("policy", "service", "interpretation", "faq", "transcript", "other")
ReplyKind = Literal[
    "answer",
    "clarify",
    "greeting",
    "thanks",
    "goodbye",
    "fallback",
    "refused",
    "empty",
    "need_context",
    "personal",  # from the asker's own records (core.lookups)
    "need_sign_in",  # a personal question from someone not signed in
    "unavailable",  # a personal question whose records service failed
]
HOTLINE = "12345"
MAX_QUESTION = 500
MAX_ANSWER = 20_000
MAX_TAGS = 20


@dataclass(frozen=True)
class Basis:
    """Where an answer comes from: a policy, a service guide, an FAQ page …, with its URL."""

    url: str | None = None
    title: str | None = None
    kind: str = "other"


@dataclass(frozen=True, kw_only=True)
class QaPair:
    """One stored question with its answer and basis."""

    id: str
    question: str
    answer: str
    basis: Basis = field(default_factory=Basis)
    tags: tuple[str, ...] = ()
    status: str = "active"
    source: str = "admin"
    version: int = 1

    @property
    def topic(self) -> str:
        """What a follow-up refers to: the service of a service-guide pair, else the question itself."""
        if self.basis.kind == "service" and self.basis.title:
            return self.basis.title
        return self.question


def check_pair(*, id: str, question: str, answer: str, tags: tuple[str, ...] = (), basis: Basis | None = None) -> None:
    """Raise Invalid naming what is wrong with a pair an admin or an import file supplied."""
    if not id or len(id) > 128 or not id.isprintable() or id.strip() != id:
        raise Invalid("id must be 1-128 printable characters without surrounding spaces")
    if not question.strip() or len(question) > MAX_QUESTION:
        raise Invalid(f"question must be 1-{MAX_QUESTION} characters")
    if not answer.strip() or len(answer) > MAX_ANSWER:
        raise Invalid(f"answer must be 1-{MAX_ANSWER} characters")
    if len(tags) > MAX_TAGS or any(not t.strip() or len(t) > 50 for t in tags):
        raise Invalid(f"at most {MAX_TAGS} tags of 1-50 characters")
    if basis is not None:
        if basis.kind not in BASIS_KINDS:
            raise Invalid(f"basis kind must be one of {'/'.join(BASIS_KINDS)}")
        if basis.url and (len(basis.url) > 2048 or not basis.url.startswith(("http://", "https://"))):
            raise Invalid("basis URL must be an http(s) URL of at most 2048 characters")


@dataclass(frozen=True)
class Option:
    """A stored question offered to the user: as a clarifying choice or a related question."""

    qa_id: str
    question: str
    score: float


@dataclass(frozen=True)
class Link:
    """A search result or a linked service shown under a reply."""

    title: str
    url: str


@dataclass(frozen=True)
class SessionContext:
    """What the conversation is about: the pair last answered and its topic."""

    qa_id: str | None = None
    topic: str | None = None
    turns: int = 0
    personal: str | None = (
        None  # what the last answer from the asker's own records told (余额…): 那医保呢 asks it again
    )


@dataclass(frozen=True, kw_only=True)
class Reply:
    """The answer to one question (or why there is none), as `ask` returns it."""

    kind: ReplyKind
    text: str
    qa_id: str | None = None
    confidence: float = 0.0
    basis: Basis | None = None
    options: tuple[Option, ...] = ()
    related: tuple[Option, ...] = ()
    services: tuple[Link, ...] = ()
    results: tuple[Link, ...] = ()
    hotline: str | None = None
    context: SessionContext = field(default_factory=SessionContext)
    graph_nodes: tuple[GraphNode, ...] = ()  # the service-graph nodes an answer from the graph rests on
    login_url: str | None = None  # need_sign_in: where to sign in
    record: PersonalRecord | None = None  # personal: the record the answer was read from

    @property
    def best_id(self) -> str | None:
        """The pair this reply stands for: the answer, or the first clarifying option."""
        return self.qa_id or (self.options[0].qa_id if self.options else None)
