"""电视问政 over GraphQL: episodes split into questions and answers, and the commitments made on air tracked to done
(`tvEpisodes`, `tvEpisode`, `commitments`; the mutations of the site's editors). docs/engagement.md"""

from __future__ import annotations

from datetime import date, datetime
from enum import Enum
from uuid import UUID

import strawberry

from core import engagement as eg
from core.errors import Invalid
from schema.context import Context
from schema.pagination import check_page
from schema.permissions import SITE_EDITOR, Need, acting_username, decide

Info = strawberry.Info[Context, None]
CONFIRMED = ("open", "overdue", "done")
MAX_EPISODES_PAGE = 20  # each episode carries its transcript (up to 200,000 characters)


def parse_id(value: str, what: str) -> UUID:
    try:
        return UUID(str(value))
    except ValueError:
        raise Invalid(f"{value!r} is not a {what} id") from None


@strawberry.enum(description="Where a commitment stands: OVERDUE is OPEN past its due date (a Beijing date)")
class CommitmentStatus(Enum):
    PROPOSED = "proposed"
    OPEN = "open"
    OVERDUE = "overdue"
    DONE = "done"
    DISMISSED = "dismissed"


@strawberry.type(description="A question put on air (by the host, a citizen or a reporter) and the answer given")
class TvExchange:
    seq: int = strawberry.field(description="Its place in the episode, from 1")
    asker: str = strawberry.field(description="Who asked: 主持人、市民、记者 … (several when they asked together)")
    question: str = strawberry.field(description="The askers' words, each line led by its speaker")
    speaker: str | None = strawberry.field(description="Who answered, as the transcript names them")
    answer: str = strawberry.field(description="The answer; a second answerer's lines keep their label")

    @classmethod
    def of(cls, e: eg.Exchange) -> TvExchange:
        return cls(seq=e.seq, asker=e.asker, question=e.question, speaker=e.speaker, answer=e.answer)


@strawberry.type(description="A commitment made on air (承诺事项), tracked from confirmation to done")
class Commitment:
    id: strawberry.ID
    episode_id: strawberry.ID = strawberry.field(description="The episode it was made in")
    site: strawberry.ID = strawberry.field(description="The site whose editors track it")
    exchange_seq: int | None = strawberry.field(description="The exchange whose answer made it")
    department: str = strawberry.field(description="Who committed: the department in the answerer's label")
    content: str = strawberry.field(description="What was committed, as confirmed by an editor")
    quote: str = strawberry.field(description="The sentence of the answer it was proposed from")
    due_on: date | None = strawberry.field(description="Parsed from the answer (…前, …日内), as the editor confirmed")
    status: CommitmentStatus
    reply: str | None = strawberry.field(description="The department's account of what was done")
    evidence_url: str | None = strawberry.field(description="Where what was done can be seen")
    confirmed_at: datetime | None = strawberry.field(description="When an editor confirmed it")
    done_at: datetime | None = strawberry.field(description="When it was reported done")

    @classmethod
    def of(cls, c: eg.Commitment) -> Commitment:
        shown = "overdue" if c.overdue else c.status
        return cls(
            id=strawberry.ID(str(c.id)),
            episode_id=strawberry.ID(str(c.episode_id)),
            site=strawberry.ID(c.site_id),
            exchange_seq=c.exchange_seq,
            department=c.department,
            content=c.content,
            quote=c.quote,
            due_on=c.due_on,
            status=CommitmentStatus(shown),
            reply=c.reply,
            evidence_url=c.evidence_url,
            confirmed_at=c.confirmed_at,
            done_at=c.done_at,
        )


@strawberry.type(description="An episode of a TV Q&A programme (电视问政)")
class TvEpisode:
    id: strawberry.ID
    site: strawberry.ID = strawberry.field(description="The site that broadcasts or publishes the programme")
    programme: str = strawberry.field(description="The programme's name (电视问政, 行风热线 …)")
    title: str = strawberry.field(description="The episode's title (第12期：聚焦城市管理)")
    air_date: date = strawberry.field(description="The day it was aired; due dates are counted from it")
    video_url: str | None = strawberry.field(description="Where the recording can be watched")
    transcript: str = strawberry.field(description="The transcript as entered")
    exchanges: list[TvExchange] = strawberry.field(description="The transcript split into questions and answers")
    commitments: list[Commitment] = strawberry.field(
        description="Commitments made in it: confirmed ones for everyone, proposals too for its site's editors"
    )
    created_at: datetime

    @classmethod
    def of(cls, e: eg.Episode, *, editor: bool) -> TvEpisode:
        shown = [c for c in e.commitments if editor or c.status in ("open", "done")]
        return cls(
            id=strawberry.ID(str(e.id)),
            site=strawberry.ID(e.site_id),
            programme=e.programme,
            title=e.title,
            air_date=e.aired_on,
            video_url=e.video_url,
            transcript=e.transcript,
            exchanges=[TvExchange.of(x) for x in e.exchanges],
            commitments=[Commitment.of(c) for c in shown],
            created_at=e.created_at,
        )


@strawberry.type(description="One page of episodes, newest first")
class TvEpisodePage:
    items: list[TvEpisode]
    total: int
    page: int
    page_size: int


@strawberry.type(description="One page of commitments, soonest due first")
class CommitmentPage:
    items: list[Commitment]
    total: int
    page: int
    page_size: int


async def is_editor(info: Info, site_id: str | None) -> bool:
    """Whether the caller edits the site (an admin edits every site); an invalid token raises UNAUTHENTICATED."""
    principal = await info.context.principal()
    if principal is None:
        return False
    return principal.has_role("editor", site_id=site_id) if site_id else principal.has_role("admin")


async def _may_see_proposals(info: Info, site_id: str | None) -> None:
    """Proposals and dismissed ones are the editors' work in progress: UNAUTHENTICATED or FORBIDDEN for others."""
    need = Need(role="editor", site_id=site_id) if site_id else Need(role="admin")
    refusal = decide(await info.context.principal(), need, info.field_name)
    if refusal is not None:
        raise refusal


@strawberry.type
class TvQuery:
    @strawberry.field(
        description="Episodes of TV Q&A programmes, newest first; `site` narrows to one site; pageSize ≤ 20"
    )
    async def tv_episodes(
        self, info: Info, site: strawberry.ID | None = None, page: int = 1, page_size: int = 20
    ) -> TvEpisodePage:
        offset, limit = check_page(page, page_size, min(MAX_EPISODES_PAGE, info.context.settings.max_page_size))
        c = info.context
        site_id = str(site) if site else None
        items, total = await eg.list_episodes(pool=c.pool, site_id=site_id, offset=offset, limit=limit, now=c.clock())
        editor = {e.site_id: await is_editor(info, e.site_id) for e in items}
        shown = [TvEpisode.of(e, editor=editor[e.site_id]) for e in items]
        return TvEpisodePage(items=shown, total=total, page=page, page_size=page_size)

    @strawberry.field(description="One episode with its exchanges and commitments")
    async def tv_episode(self, info: Info, id: strawberry.ID) -> TvEpisode:
        c = info.context
        found = await eg.get_episode(pool=c.pool, episode_id=parse_id(id, "TV episode"), now=c.clock())
        return TvEpisode.of(found, editor=await is_editor(info, found.site_id))

    @strawberry.field(
        description="Commitments made on air by status and department: confirmed ones (open, overdue, done) when "
        "no status is given; PROPOSED and DISMISSED are for the site's editors (`site`) or admins"
    )
    async def commitments(
        self,
        info: Info,
        status: CommitmentStatus | None = None,
        department: str | None = None,
        site: strawberry.ID | None = None,
        page: int = 1,
        page_size: int = 50,
    ) -> CommitmentPage:
        offset, limit = check_page(page, page_size, info.context.settings.max_page_size)
        site_id = str(site) if site else None
        if status is not None and status.value not in CONFIRMED:
            await _may_see_proposals(info, site_id)
        c = info.context
        items, total = await eg.list_commitments(
            pool=c.pool,
            status=status.value if status else None,
            department=department,
            site_id=site_id,
            offset=offset,
            limit=limit,
            now=c.clock(),
        )
        return CommitmentPage(items=[Commitment.of(x) for x in items], total=total, page=page, page_size=page_size)


@strawberry.type
class TvMutation:
    @strawberry.mutation(
        permission_classes=SITE_EDITOR,
        description="Add an episode of a TV Q&A programme (电视问政): the transcript "
        "(主持人：… 市民：… 市交通局局长张三：…) is split into questions and answers, and each answer's sentence "
        "that promises (承诺) or names a deadline (…前, …日内) becomes a PROPOSED "
        "commitment with its due date, for the editors to confirm",
    )
    async def add_episode(
        self,
        info: Info,
        site: strawberry.ID,
        programme: str,
        title: str,
        air_date: date,
        transcript: str,
        video_url: str | None = None,
    ) -> TvEpisode:
        c = info.context
        draft = eg.EpisodeDraft(
            site_id=str(site),
            programme=programme,
            title=title,
            aired_on=air_date,
            transcript=transcript,
            video_url=video_url,
        )
        found = await eg.add_episode(pool=c.pool, draft=draft, by=await acting_username(info), now=c.clock())
        return TvEpisode.of(found, editor=True)

    @strawberry.mutation(
        permission_classes=SITE_EDITOR,
        description="Confirm a proposed commitment of the site (it is then OPEN, OVERDUE past dueOn), editing its "
        "department, content or due date; dismiss: true drops a proposal that is no commitment",
    )
    async def confirm_commitment(
        self,
        info: Info,
        site: strawberry.ID,
        id: strawberry.ID,
        department: str | None = None,
        content: str | None = None,
        due_on: date | None = None,
        dismiss: bool = False,
    ) -> Commitment:
        c = info.context
        found = await eg.confirm_commitment(
            pool=c.pool,
            site_id=str(site),
            commitment_id=parse_id(id, "commitment"),
            by=await acting_username(info),
            now=c.clock(),
            edits={"department": department, "content": content, "due_on": due_on},
            dismiss=dismiss,
        )
        return Commitment.of(found)

    @strawberry.mutation(
        permission_classes=SITE_EDITOR,
        description="Track a confirmed commitment: DONE with the department's reply (and evidence), or OPEN again",
    )
    async def update_commitment(
        self,
        info: Info,
        site: strawberry.ID,
        id: strawberry.ID,
        status: CommitmentStatus,
        reply: str | None = None,
        evidence_url: str | None = None,
    ) -> Commitment:
        c = info.context
        found = await eg.update_commitment(
            pool=c.pool,
            site_id=str(site),
            commitment_id=parse_id(id, "commitment"),
            status=status.value,
            reply=reply,
            evidence_url=evidence_url,
            now=c.clock(),
        )
        return Commitment.of(found)
