"""The Q&A knowledge base in memory: pairs in, a reply out (answer, clarifying question, small talk, fallback)."""

from __future__ import annotations

import re
import threading
from collections import Counter
from collections.abc import Iterable
from dataclasses import replace

from core.qa.index import QaIndex
from core.qa.models import HOTLINE, Link, Option, QaPair, Reply, SessionContext
from core.qa.query import has_words, strip_follow_up, understand
from core.qa.readings import QueryView
from core.qa.rerank import Candidate
from core.qa.rewrite import Rewriter
from core.qa.subject import names_subject
from core.textzh import SensitiveFilter, fold
from core.textzh.places import places_in

ANSWER_AT = 0.36  # below this the best pair is not trusted to answer on its own
OFFER_AT = 0.15  # between OFFER_AT and ANSWER_AT the best pairs are offered as "did you mean" (calibrated: docs)
SUGGEST_AT = 0.15  # below this a pair is not even offered as a related question
# Words by which a citizen names the place the deployment serves (本市社保卡怎么办, 咱们这儿能办吗); 当地 and 本省 are
# not among them (当地 is wherever the question is about; a city's portal is not its province's). Written by us.
HERE = re.compile(r"本市|我市|全市|本地|咱市|(?:咱们|我们|咱)(?:市|这儿|这里|这边|这)")
SURE_FOLLOW_UP = 0.8  # a follow-up with no context is answered only when this sure
CLOSE = 0.015  # two different pairs this close to each other at the top: ask which one was meant
FOLLOW_UP_BONUS = 0.05
_RELATED = 3
_OPTIONS = 3

Ranked = list[tuple[QaPair, float]]

SMALL_TALK = {
    "greeting": "您好！我是政务智能问答助手，请直接输入您想咨询的问题，例如“社保费可以缓缴吗？”。",
    "thanks": "不客气，很高兴能帮到您。还有其他问题可以继续问我。",
    "goodbye": "再见，祝您生活愉快！如需人工服务，请拨打12345政务服务便民热线。",
}
EMPTY = "请输入您想咨询的问题，例如“失业保险金在哪里申领？”。"
REFUSED = "您的问题中含有不适宜的词语，我无法回答。请换一种说法重新提问，或拨打12345政务服务便民热线。"
FALLBACK = "抱歉，暂时没有找到与您的问题相符的答案。您可以看看下面的相关信息，或拨打12345政务服务便民热线咨询。"
CLARIFY = "您想问的是下面哪一个问题？请选择或补充更多信息。"
DID_YOU_MEAN = "没有找到完全相符的答案，您是不是想问下面的问题？也可以拨打12345政务服务便民热线咨询。"
NEED_CONTEXT = "请问您想了解哪一项事项？请把事项名称告诉我，例如“居民身份证补领需要什么材料？”。"


class KnowledgeBase:
    """Active pairs indexed for retrieval; thread-safe; `reply` never raises on what a user typed."""

    def __init__(
        self,
        *,
        rewriter: Rewriter | None = None,
        sensitive: SensitiveFilter | None = None,
        home_place: str | None = None,
    ) -> None:
        """`home_place`: the city or county the deployment serves (HOME_PLACE); a question saying 本市, 我市,
        咱们这儿 … names it, so that its pairs win over other places' as when the question names it."""
        self._lock = threading.RLock()
        self._home = places_in((home_place.strip(),)) if home_place else frozenset()
        self._pairs: dict[str, QaPair] = {}
        self._index = QaIndex()
        self._rewriter = rewriter or Rewriter()
        self._sensitive = sensitive or SensitiveFilter.default()
        self.version = 0

    def __len__(self) -> int:
        return len(self._pairs)

    def get(self, qa_id: str) -> QaPair | None:
        return self._pairs.get(qa_id)

    def load(self, pairs: Iterable[QaPair], version: int = 0) -> None:
        """Add or replace pairs (retired ones are removed) and record the store version they reflect."""
        with self._lock:
            learned: Counter[str] = Counter()
            changed = 0
            for pair in pairs:
                learned.update(self._put(pair))
                # a citizen types the answer's words too, in pinyin or with a typo (tuoyang → 托养)
                learned.update(self._index.answer_terms(pair.id))
                changed += 1
            self._rewriter.learn(learned)
            self._index.learn(changed)
            self.version = max(self.version, version)

    def _put(self, pair: QaPair) -> frozenset[str]:
        if pair.status != "active":
            self._pairs.pop(pair.id, None)
            self._index.remove(pair.id)
            return frozenset()
        self._pairs[pair.id] = pair
        return self._index.add(pair.id, pair.question, pair.answer, " ".join(pair.tags))

    def remove(self, qa_id: str) -> None:
        with self._lock:
            self._pairs.pop(qa_id, None)
            self._index.remove(qa_id)

    @property
    def index(self) -> QaIndex:
        """The retrieval index (its `rerank_weights` switch the learned re-ranking, core.qa.rerank)."""
        return self._index

    def rank(self, text: str, limit: int = 5) -> list[tuple[QaPair, float]]:
        """The best pairs for a (cleaned) question, with scores 0..1, best first."""
        with self._lock:
            return [(self._pairs[k], s) for k, s in self._index.search(self._views(text), limit) if k in self._pairs]

    def candidates(self, text: str, limit: int = 5) -> list[tuple[str, Candidate]]:
        """The best pairs for a (cleaned) question before the learned re-ranking, best first, with what the
        re-ranking reads of each (for training it: ops/bench/qa_rerank.py)."""
        with self._lock:
            return self._index.ranked(self._views(text), limit)

    def _views(self, text: str) -> list[QueryView]:
        """Each phrasing of the question analysed; with a home place, 本市 … names it where no place is named."""
        views = [self._index.view(t, w) for t, w in self._rewriter.phrasings(text)]
        if self._home and HERE.search(text):
            views = [view if view.places else replace(view, places=self._home) for view in views]
        return views

    def reply(self, question: str, context: SessionContext | None = None) -> Reply:
        """Answer a question, using the conversation so far for follow-ups."""
        context = context or SessionContext()
        understood = understand(question)
        if understood.small_talk is not None:
            return Reply(kind=understood.small_talk, text=SMALL_TALK[understood.small_talk], context=context)
        if not has_words(understood.text):
            return Reply(kind="empty", text=EMPTY, context=context)
        if self._sensitive.find(understood.text):
            return Reply(kind="refused", text=REFUSED, hotline=HOTLINE, context=context)
        ranked = self.rank(understood.text, 6)
        if understood.follow_up:
            if context.topic:
                ranked = self._with_topic(understood.text, context, ranked)
            elif not ranked or ranked[0][1] < SURE_FOLLOW_UP or names_subject(fold(ranked[0][0].question)):
                # 那需要什么材料 matches 居民身份证补领需要什么材料 well, but which matter was meant is not said
                return Reply(kind="need_context", text=NEED_CONTEXT, context=context)
        return self._decide(ranked, context)

    def _with_topic(self, text: str, context: SessionContext, own: Ranked) -> Ranked:
        merged = {p.id: (p, s) for p, s in own}
        for pair, score in self.rank(f"{context.topic} {strip_follow_up(text)}", 6):
            # Pairs on the same topic answer the follow-up; the pair just given is not the answer again.
            bonus = FOLLOW_UP_BONUS if pair.topic == context.topic and pair.id != context.qa_id else 0.0
            if pair.id == context.qa_id:
                bonus = -FOLLOW_UP_BONUS
            if score + bonus > merged.get(pair.id, (pair, 0.0))[1]:
                merged[pair.id] = (pair, round(score + bonus, 4))
        return sorted(merged.values(), key=lambda ps: -ps[1])

    def _decide(self, ranked: list[tuple[QaPair, float]], context: SessionContext) -> Reply:
        offered = _one_per_question([Option(p.id, p.question, s) for p, s in ranked if s >= SUGGEST_AT])
        if not ranked or ranked[0][1] < OFFER_AT:
            return Reply(
                kind="fallback", text=FALLBACK, related=tuple(offered[:_RELATED]), hotline=HOTLINE, context=context
            )
        best, score = ranked[0]
        rivals = [o for o in offered[1:] if score - o.score <= CLOSE and o.question != best.question]
        if score < ANSWER_AT:
            rivals = [o for o in offered[1:] if o.score >= OFFER_AT]
        if rivals or score < ANSWER_AT:
            options = (Option(best.id, best.question, score), *rivals[: _OPTIONS - 1])
            text = CLARIFY if score >= ANSWER_AT else DID_YOU_MEAN
            return Reply(kind="clarify", text=text, confidence=score, options=options, hotline=HOTLINE, context=context)
        services = tuple(
            Link(p.basis.title or p.question, p.basis.url)
            for p, _ in ranked[:_RELATED]
            if p.basis.kind == "service" and p.basis.url and (p.topic == best.topic or p.id == best.id)
        )
        new_context = SessionContext(best.id, best.topic, context.turns + 1)
        return Reply(
            kind="answer",
            text=best.answer,
            qa_id=best.id,
            confidence=score,
            basis=best.basis,
            related=tuple(o for o in offered[1 : _RELATED + 1]),
            services=tuple(dict.fromkeys(services)),
            context=new_context,
        )

    def pairs(self) -> list[QaPair]:
        with self._lock:
            return list(self._pairs.values())


def _one_per_question(options: list[Option]) -> list[Option]:
    """The best option of each question text: two offices' guides ask 在哪里办理 alike, and a person choosing either
    asks that text again, so a second one is a choice that leads nowhere new."""
    seen: set[str] = set()
    out = []
    for option in options:
        if option.question not in seen:
            seen.add(option.question)
            out.append(option)
    return out
