"""The service graph in memory: which service a question names, and the graph's reply to the four question forms."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from core.qa.graph import answers
from core.qa.graph.intents import Intent, parse
from core.qa.graph.models import GraphNode, ServiceView
from core.qa.graph.resolve import Match, NameIndex, Resolution, Variants, core_words, resolve
from core.qa.models import HOTLINE, Basis, Link, Option, Reply, SessionContext
from core.qa.query import understand

ASK_BACK = "您说的事项对应多项服务，请问您想问的是下面哪一项？"
QUESTION = {
    "materials": "{name}需要什么材料？",
    "place": "{name}在哪里办理？",
    "basis": "{name}的依据是什么？",
}
_ANSWER = {"materials": answers.materials, "place": answers.place, "basis": answers.basis}


@dataclass(frozen=True)
class _Side:
    resolution: Resolution
    words: str


class ServiceGraph:
    """Services with their neighbours, and a name index over them; replaced whole on `load`."""

    def __init__(self, variants: Variants | None = None) -> None:
        self._variants = variants
        self._services: dict[str, ServiceView] = {}
        self._index = NameIndex((), variants=variants or (lambda t: [t]))
        self._labels: dict[str, str] = {}
        self.version = -1

    def __len__(self) -> int:
        return len(self._services)

    def load(self, services: Iterable[ServiceView], version: int) -> None:
        views = {s.node.id: s for s in services}
        names = Counter(s.node.name for s in views.values())
        labels = {}
        for sid, s in views.items():
            dept = "、".join(n.name for n in s.of("handled_by"))
            labels[sid] = f"{s.node.name}（{dept}）" if names[s.node.name] > 1 and dept else s.node.name
        index = NameIndex(((sid, labels[sid]) for sid in views), variants=self._variants)
        self._services, self._index, self._labels, self.version = views, index, labels, version

    def get(self, service_id: str) -> ServiceView | None:
        return self._services.get(service_id)

    def label(self, service_id: str) -> str:
        """The service's name, with its department when another service has the same name."""
        return self._labels.get(service_id, "")

    def resolve(self, words: str) -> Resolution:
        return resolve(self._index, words)

    def reply(
        self, question: str, context: SessionContext | None = None, has_pair: Callable[[str], bool] | None = None
    ) -> Reply | None:
        """The graph's reply when the question asks one of its four forms about a service it knows; else None.

        An answer on materials or place stands for the guide's own Q&A pair (`qaId`) when `has_pair` knows it."""
        if not self._services:
            return None
        understood = understand(question)
        if understood.small_talk is not None or not understood.text:
            return None
        intent = parse(understood.text)
        if intent is None:
            return None
        context = context or SessionContext()
        if intent.form == "compare":
            return self._compare(intent, context)
        words = intent.x or (context.topic or "")
        if not core_words(words):
            return None
        found = self.resolve(words)
        if found.found is None:
            return self._ask_back(found.candidates, lambda m: QUESTION[intent.form].format(name=m), context)
        service = self._services[found.found.id]
        text, cited = _ANSWER[intent.form](service)
        pair = f"guide-{service.node.id.removeprefix('service:')}-{intent.form}"
        qa_id = pair if has_pair is not None and has_pair(pair) else None
        return self._answer(text, cited, found.found.score, [service], context, qa_id)

    def _answer(
        self,
        text: str,
        cited: list[GraphNode],
        score: float,
        about: list[ServiceView],
        ctx: SessionContext,
        qa_id: str | None = None,
    ) -> Reply:
        first = about[0].node
        return Reply(
            kind="answer",
            text=text,
            qa_id=qa_id,
            confidence=score,
            basis=Basis(first.url, first.name, "service"),
            services=tuple(Link(s.node.name, s.node.url) for s in about if s.node.url),
            context=SessionContext(qa_id, first.name if len(about) == 1 else ctx.topic, ctx.turns + 1),
            graph_nodes=tuple(dict((n.id, n) for n in cited).values()),
        )

    def _ask_back(self, candidates: tuple[Match, ...], ask: object, context: SessionContext) -> Reply | None:
        if not candidates:
            return None
        assert callable(ask)
        options = tuple(Option(f"graph:{m.id}", ask(self.label(m.id)), m.score) for m in candidates)
        return Reply(
            kind="clarify",
            text=ASK_BACK,
            confidence=candidates[0].score,
            options=options,
            hotline=HOTLINE,
            context=context,
        )

    def _side(self, words: str, other: Match | None) -> _Side:
        found = self.resolve(words)
        if found.found is None and other is not None:
            # 爆破作业人员许可到期换发和提高资格等级: Y leaves out the head it shares with X
            head = core_words(other.name)
            for k in range(len(head) - 1, 1, -1):
                completed = self.resolve(head[:k] + core_words(words))
                if completed.found is not None and completed.found.id != other.id:
                    return _Side(completed, head[:k] + words)
        return _Side(found, words)

    def _compare(self, intent: Intent, context: SessionContext) -> Reply | None:
        best: tuple[float, _Side, _Side] | None = None
        for x_words, y_words in intent.splits or ((intent.x, intent.y),):
            x = _Side(self.resolve(x_words), x_words)
            if not x.resolution.known:
                continue
            y = self._side(y_words, x.resolution.found)
            if not y.resolution.known:
                continue
            score = min(_score(x.resolution), _score(y.resolution))
            if best is None or score > best[0]:
                best = (score, x, y)
        if best is None:
            return None
        _, x, y = best
        xf, yf = x.resolution.found, y.resolution.found
        if xf is None:
            return self._ask_back(x.resolution.candidates, lambda m: f"{m}和{y.words}有什么区别？", context)
        if yf is None:
            return self._ask_back(y.resolution.candidates, lambda m: f"{x.words}和{m}有什么区别？", context)
        if xf.id == yf.id:
            return None
        a, b = self._services[xf.id], self._services[yf.id]
        text, cited = answers.compare(a, b)
        return self._answer(text, cited, min(xf.score, yf.score), [a, b], context)


def _score(r: Resolution) -> float:
    if r.found is not None:
        return r.found.score
    return r.candidates[0].score if r.candidates else 0.0
