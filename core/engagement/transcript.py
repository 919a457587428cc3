"""电视问政 transcripts split into questions and answers: "主持人：… 市民：… 记者：… 市交通局局长张三：…"."""

from __future__ import annotations

import re

from core.engagement.models import Exchange
from core.policy.transcripts import split_transcript
from core.textzh.normalize import to_simplified

# A turn: a speaker's label (a role, a name, a post) and a colon, leading a line.
TURN = re.compile(r"^\s*[【\[]?([\u4e00-\u9fff·A-Za-z0-9（）()、]{1,30}?)[】\]]?\s*[：:]\s*")
# Who asks on air: the host, citizens, reporters, deputies, commentators, the audience (市民甲, 市民代表王女士,
# 南宁台记者, 人大代表); a label naming a post (市民政局局长) or anyone else answers.
_ASKER = re.compile(r"(?:.{0,12}?(?:记者|代表|委员|观察员|评论员)|主持人|市民(?!政)|群众|网友|观众|嘉宾|问|提问)")
POST = re.compile(
    r"(?:相关)?(?:副|常务副)?(?:支队长|大队长|秘书长|董事长|总经理|负责人|局长|主任|书记|区长|县长|镇长|乡长|市长|"
    r"处长|科长|队长|所长|院长|站长|经理|主席|部长)"
)
MIN_QUESTION = 4
_MARKERS = ("问", "提问")  # a bare question marker: the question is the words alone


def _turns(text: str) -> list[tuple[str, str]]:
    """(speaker, words) in order; a line without a label continues the turn before it."""
    turns: list[tuple[str, str]] = []
    for line in text.splitlines():
        if not line.strip():
            continue
        m = TURN.match(line)
        if m:
            turns.append((m.group(1), line[m.end() :].strip()))
        elif turns:
            label, words = turns[-1]
            turns[-1] = (label, f"{words}\n{line.strip()}")
    return turns


def is_asker(label: str) -> bool:
    """Whether a label asks (its traditional script read as simplified: 記者 asks, 局長 answers)."""
    label = to_simplified(label)
    return bool(_ASKER.match(label)) and not POST.search(label)


class _Building:
    """The exchange being read: the askers' turns, then the answerers'."""

    def __init__(self) -> None:
        self.askers: list[str] = []
        self.question: list[str] = []
        self.speaker: str | None = None
        self.answer: list[str] = []

    def exchange(self, seq: int) -> Exchange | None:
        question = "\n".join(self.question).strip()
        answer = "\n".join(self.answer).strip()
        if len(question) < MIN_QUESTION or not answer:
            return None
        asker = "、".join(dict.fromkeys(self.askers))
        return Exchange(seq=seq, asker=asker, question=question, speaker=self.speaker, answer=answer)


def split_tv_transcript(text: str) -> list[Exchange]:
    """Exchanges in order. Askers' turns up to an answer make the question (each with its label); answerers'
    turns make the answer, its first answerer the speaker. Remarks no one answers are left out.
    A transcript in press-conference form (问：/答：, 新华社记者：) is split as core.policy splits those."""
    out: list[Exchange] = []
    current = _Building()
    for label, words in _turns(text):
        if is_asker(label):
            if current.answer:
                out += _done(current, len(out) + 1)
                current = _Building()
            current.askers.append(label)
            current.question.append(words if label in _MARKERS else f"{label}：{words}")
        elif current.question:
            if current.speaker is None:
                current.speaker = label
                current.answer.append(words)
            else:
                current.answer.append(words if label == current.speaker else f"{label}：{words}")
    out += _done(current, len(out) + 1)
    if out:
        return out
    return [
        Exchange(seq=i, asker="记者", question=e.question, speaker=e.speaker, answer=e.answer)
        for i, e in enumerate(split_transcript(text), start=1)
    ]


def _done(current: _Building, seq: int) -> list[Exchange]:
    made = current.exchange(seq)
    return [made] if made else []
