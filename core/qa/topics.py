"""Topics to browse the knowledge base by (社会保障, 医疗卫生 …): a pair's own tag if it names one, else derived
from its words by keyword rules, most specific topic first."""

from __future__ import annotations

import bisect
import re
from collections.abc import Iterable
from dataclasses import dataclass

from core.cursors import make_cursor, read_cursor
from core.errors import NotFound
from core.qa.models import QaPair

OTHER = "other"


@dataclass(frozen=True)
class Topic:
    """A theme of the knowledge base: a stable id, its name, the words that place a pair under it."""

    id: str
    name: str
    words: re.Pattern[str] | None


def _t(id: str, name: str, words: str | None) -> Topic:
    return Topic(id, name, re.compile(words) if words else None)


# Order matters: a pair goes to the first topic whose words it holds (社保费 is 社会保障, not 税费).
TOPICS: tuple[Topic, ...] = (
    _t("social-security", "社会保障", r"社保|养老|失业保险|工伤|生育保险|退休|社会保险|低保|救助|残疾|优抚|特困"),
    _t("medical", "医疗卫生", r"医保|医疗|医院|就医|看病|药品|药店|疫苗|核酸|体检|诊疗|门诊|住院"),
    _t("housing", "住房公积金与住房", r"公积金|住房|租房|购房|房屋|不动产|物业|房租"),
    _t("employment", "就业创业", r"就业|招聘|创业|稳岗|职业培训|技能培训|复工|返岗|用工|农民工|劳动合同|工资"),
    _t("tax", "税费", r"税|发票|缴费|退费|费用减免|减免.*费"),
    _t("enterprise", "企业服务", r"企业|中小微|个体工商|营业执照|贷款|融资|商户|市场主体|外贸|出口|租金"),
    _t("identity", "户籍证件", r"户口|户籍|身份证|居住证|护照|签证|出入境|港澳|驾驶证|结婚登记|婚姻登记"),
    _t("transport", "交通出行", r"交通|公交|地铁|车辆|机动车|高速|出行|航班|铁路|客运|通行|停车"),
    _t("education", "教育", r"学校|学生|开学|教育|考试|招生|教师|幼儿园|高校|网课|学籍"),
    _t("epidemic", "疫情防控", r"疫情|防控|隔离|口罩|确诊|健康码|新冠|肺炎|发热|消毒|检测|防疫"),
    _t(OTHER, "其他", None),
)
BY_ID = {t.id: t for t in TOPICS}
_BY_NAME = {t.name: t for t in TOPICS}


def topic_of(pair: QaPair) -> Topic:
    """The pair's topic: a tag naming one (id or name), else the first topic its tags, question or answer
    opening mention, else 其他."""
    for tag in pair.tags:
        found = BY_ID.get(tag) or _BY_NAME.get(tag)
        if found is not None:
            return found
    for text in (" ".join((*pair.tags, pair.question)), pair.answer[:200]):
        for topic in TOPICS:
            if topic.words is not None and topic.words.search(text):
                return topic
    return BY_ID[OTHER]


def check_topic(topic_id: str) -> Topic:
    found = BY_ID.get(topic_id) or _BY_NAME.get(topic_id)
    if found is None:
        raise NotFound(f"no Q&A topic {topic_id!r}; qaTopics lists them ({', '.join(BY_ID)})")
    return found


def listing_of(topic: Topic) -> str:
    """What a page cursor of the topic says it continues (one topic's cursor is no position in another's)."""
    return f"qaPairs(topic: {topic.id})"


@dataclass(frozen=True)
class TopicPage:
    """Pairs of a topic in id order after a cursor, and how many the topic holds."""

    items: list[QaPair]
    total: int
    end_cursor: str | None
    has_next: bool


class TopicIndex:
    """Active pairs grouped by topic, ordered by id; rebuilt when the knowledge base's version changes."""

    def __init__(self) -> None:
        self.version = -1
        self._ids: dict[str, list[str]] = {t.id: [] for t in TOPICS}
        self._pairs: dict[str, QaPair] = {}

    def rebuild(self, pairs: Iterable[QaPair], version: int) -> None:
        ids: dict[str, list[str]] = {t.id: [] for t in TOPICS}
        kept: dict[str, QaPair] = {}
        for pair in pairs:
            ids[topic_of(pair).id].append(pair.id)
            kept[pair.id] = pair
        for members in ids.values():
            members.sort()
        self._ids, self._pairs, self.version = ids, kept, version

    def counts(self) -> list[tuple[Topic, int]]:
        return [(t, len(self._ids[t.id])) for t in TOPICS]

    def page(self, topic_id: str, *, first: int, after: str | None) -> TopicPage:
        topic = check_topic(topic_id)
        members = self._ids[topic.id]
        last = None if after is None else read_cursor(after, listing_of(topic))
        start = 0 if last is None else bisect.bisect_right(members, last)
        chosen = members[start : start + first]
        return TopicPage(
            items=[self._pairs[i] for i in chosen],
            total=len(members),
            end_cursor=make_cursor(listing_of(topic), chosen[-1]) if chosen else after,
            has_next=start + first < len(members),
        )
