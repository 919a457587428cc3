"""Q&A (一网通答): ask, read a pair, and the admin mutations that add, edit and retire pairs."""

from __future__ import annotations

import strawberry

from core.qa import models
from schema.context import Context
from schema.halls import HallWhere, where_in_text
from schema.lookups import PersonalRecord
from schema.permissions import ADMIN
from schema.qa_graph import QaGraphNode

Info = strawberry.Info[Context, None]


@strawberry.type(description="What an answer rests on: a policy, a service guide, an FAQ page …")
class QaBasis:
    url: str | None
    title: str | None
    kind: str

    @classmethod
    def of(cls, b: models.Basis | None) -> QaBasis | None:
        return None if b is None else cls(url=b.url, title=b.title, kind=b.kind)


@strawberry.type(description="A stored question offered as a clarifying choice or a related question")
class QaOption:
    qa_id: str
    question: str
    score: float


@strawberry.type(description="A linked service or a search result")
class QaLink:
    title: str
    url: str


@strawberry.type(description="The reply to a question: an answer with its basis, a clarifying question, or a fallback")
class AskResult:
    kind: str = strawberry.field(
        description="answer, clarify, greeting, thanks, goodbye, fallback, refused, empty, need_context; for a "
        "question about one's own records: personal, need_sign_in, unavailable (the records service failed)"
    )
    answer: str = strawberry.field(description="The answer, or the polite message of any other kind")
    qa_id: str | None
    confidence: float
    basis: QaBasis | None
    options: list[QaOption] = strawberry.field(description="Choices when the best answers are close (智能反问)")
    related: list[QaOption]
    services: list[QaLink]
    results: list[QaLink] = strawberry.field(description="Top search results when nothing fits")
    hotline: str | None
    needs_sign_in: bool = strawberry.field(
        default=False,
        description="A question about the asker's own records (我的公积金余额) from someone not signed in",
    )
    login_url: str | None = strawberry.field(default=None, description="Where to sign in, when needsSignIn")
    record: PersonalRecord | None = strawberry.field(
        default=None, description="kind personal: the asker's record the answer was read from"
    )
    graph_nodes: list[QaGraphNode] = strawberry.field(
        default_factory=list,
        description="An answer from the service graph: the nodes it cites (service, materials, places, bases …)",
    )
    question: strawberry.Private[str] = ""

    @strawberry.field(
        description="For a question asking where (在哪办): the 3D halls' windows serving what it names, with routes"
    )
    async def where(self, info: Info) -> list[HallWhere]:
        texts = [self.answer, *(s.title for s in self.services), *(o.question for o in self.options)]
        return await where_in_text(info, self.question, texts)

    @classmethod
    def of(cls, r: models.Reply, question: str = "") -> AskResult:
        def options(items: tuple[models.Option, ...]) -> list[QaOption]:
            return [QaOption(qa_id=o.qa_id, question=o.question, score=o.score) for o in items]

        return cls(
            kind=r.kind,
            answer=r.text,
            qa_id=r.qa_id,
            confidence=r.confidence,
            basis=QaBasis.of(r.basis),
            options=options(r.options),
            related=options(r.related),
            services=[QaLink(title=s.title, url=s.url) for s in r.services],
            results=[QaLink(title=s.title, url=s.url) for s in r.results],
            hotline=r.hotline,
            needs_sign_in=r.kind == "need_sign_in",
            login_url=r.login_url,
            record=PersonalRecord.of(r.record) if r.record is not None else None,
            graph_nodes=[QaGraphNode.of(n) for n in r.graph_nodes],
            question=question,
        )


@strawberry.type(description="A stored question-answer pair")
class QaPair:
    id: str
    question: str
    answer: str
    basis: QaBasis | None
    tags: list[str]
    status: str
    source: str
    version: int

    @classmethod
    def of(cls, p: models.QaPair) -> QaPair:
        return cls(
            id=p.id,
            question=p.question,
            answer=p.answer,
            basis=QaBasis.of(p.basis),
            tags=list(p.tags),
            status=p.status,
            source=p.source,
            version=p.version,
        )


@strawberry.input(description="The basis of a pair")
class QaBasisInput:
    url: str | None = None
    title: str | None = None
    kind: str = "policy"

    def to_basis(self) -> models.Basis:
        return models.Basis(url=self.url or None, title=self.title or None, kind=self.kind)


@strawberry.type
class QaQuery:
    @strawberry.field(description="Ask a question (一网通答); a sessionId lets follow-ups refer to earlier answers")
    async def ask(self, info: Info, question: str, session_id: str | None = None) -> AskResult:
        c = info.context
        return AskResult.of(await c.qa.ask(question, session_id, who=c.principal, client=c.client), question)

    @strawberry.field(description="One stored pair by id (retired ones too)")
    async def qa_pair(self, info: Info, id: strawberry.ID) -> QaPair:
        return QaPair.of(await info.context.qa.get(str(id)))


@strawberry.type
class QaMutation:
    @strawberry.mutation(
        permission_classes=ADMIN,
        description="Add a pair; it is answerable at once in every API process. The question and answer of an "
        "active pair again (a form sent twice) is CONFLICT naming that pair, and so is the id of an active pair; "
        "the id of a retired pair brings it back with this content",
    )
    async def add_qa_pair(
        self,
        info: Info,
        question: str,
        answer: str,
        basis: QaBasisInput | None = None,
        tags: list[str] | None = None,
        id: strawberry.ID | None = None,
    ) -> QaPair:
        pair = await info.context.qa.add(
            question=question,
            answer=answer,
            basis=basis.to_basis() if basis else None,
            tags=tags or (),
            id=str(id) if id else None,
        )
        return QaPair.of(pair)

    @strawberry.mutation(
        permission_classes=ADMIN, description="Change a pair's question, answer, basis or tags; live at once"
    )
    async def edit_qa_pair(
        self,
        info: Info,
        id: strawberry.ID,
        question: str | None = None,
        answer: str | None = None,
        basis: QaBasisInput | None = None,
        tags: list[str] | None = None,
    ) -> QaPair:
        pair = await info.context.qa.edit(
            str(id), question=question, answer=answer, basis=basis.to_basis() if basis else None, tags=tags
        )
        return QaPair.of(pair)

    @strawberry.mutation(permission_classes=ADMIN, description="Retire a pair: it is no longer given as an answer")
    async def retire_qa_pair(self, info: Info, id: strawberry.ID) -> QaPair:
        return QaPair.of(await info.context.qa.retire(str(id)))
