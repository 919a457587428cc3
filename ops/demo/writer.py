"""Writes the Chinese titles and bodies of demo articles from templates, driven by a seeded random."""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import datetime, timedelta
from random import Random

from ops.demo import phrases as ph
from ops.demo.model import Article, ColumnSpec, GuideInfo, LetterInfo, PolicyInfo, PolicyRef, SiteSpec
from ops.demo.vocab import GIVEN, PLACES, SURNAMES, TOPICS, TOWNS, VILLAGES, Topic

NUMERALS = "一二三四五六七八九十"
GUIDE_VARIANTS = ("", "", "（个人办理）", "（单位办理）", "（网上办理）", "（变更）")
BRACKETS = (("〔", "〕"), ("〔", "〕"), ("〔", "〕"), ("[", "]"), ("（", "）"), ("(", ")"))


def cn_number(n: int) -> str:
    """1..99 in Chinese numerals, as in 第十二条."""
    tens, ones = divmod(n, 10)
    head = "" if tens == 0 else ("十" if tens == 1 else NUMERALS[tens - 1] + "十")
    return head + ("" if ones == 0 else NUMERALS[ones - 1])


def cn_date(d: datetime) -> str:
    return f"{d.year}年{d.month}月{d.day}日"


def named_title(title: str) -> str:
    """The document a 关于印发《X》的通知 carries is X; any other title names itself."""
    m = re.fullmatch(r"关于印发《(.+)》的通知", title)
    return m.group(1) if m else title


class Writer:
    """Composes the articles of one site; every choice comes from the site's seeded random."""

    def __init__(self, rng: Random, spec: SiteSpec) -> None:
        self.rng = rng
        self.spec = spec
        self.county = spec.level == "区县"
        self.city = "青山县" if self.county else "示范市"
        self.we = "我县" if self.county else "我市"
        self.topics = [TOPICS[k] for k in spec.topics]
        self.policy_seq = 0

    def topic(self) -> Topic:
        return self.rng.choice(self.topics)

    def dept(self, topic: Topic) -> str:
        if self.spec.department:
            return self.spec.department
        return "县" + topic.dept[1:] if self.county and topic.dept.startswith("市") else topic.dept

    def person(self) -> str:
        return self.rng.choice(SURNAMES) + self.rng.choice(GIVEN)

    def phone(self) -> str:
        return f"0999-{self.rng.randint(81000000, 89999999)}"

    def fill(self, template: str, topic: Topic, when: datetime, **extra: str) -> str:
        r = self.rng
        month = when.month - 1 if when.month > 2 else 11
        leader = ("县委常委、副县长" if self.county else "市委常委、副市长") + self.person()
        ctx = {
            "city": self.city,
            "we": self.we,
            "topic": topic.name,
            "dept": self.dept(topic),
            "people": r.choice(topic.people),
            "goal": r.choice(topic.goals),
            "subsidy": r.choice(topic.subsidies),
            "item": r.choice(topic.items),
            "material": "、".join(r.sample(topic.materials, 2)),
            "question": r.choice(topic.questions),
            "place": self.city if self.county else r.choice(PLACES),
            "town": r.choice(TOWNS),
            "village": r.choice(VILLAGES),
            "date": f"{when.month}月{when.day}日",
            "year": str(when.year),
            "year2": str(when.year + 2),
            "month": str(month),
            "day": str(r.randint(1, 28)),
            "n": str(r.randint(12, 980)),
            "n2": str(r.randint(30, 4000)),
            "amt": f"{r.randint(50, 9000)}",
            "amt2": str(r.choice((600, 1200, 1800, 2400, 3000, 5000))),
            "pct": f"{r.uniform(1.5, 30):.1f}",
            "sat": f"{r.uniform(90, 99):.1f}",
            "d1": str(r.randint(10, 20)),
            "d2": str(r.randint(1, 7)),
            "r1": str(r.randint(5, 7)),
            "r2": str(r.randint(3, 5)),
            "q": str(r.randint(1, 4)),
            "leader": leader,
        }
        ctx.update(extra)
        return template.format(**ctx)

    def sentences(self, pool: Sequence[str], count: int, topic: Topic, when: datetime) -> list[str]:
        order = list(pool)
        self.rng.shuffle(order)
        return [self.fill(order[i % len(order)], topic, when) for i in range(count)]

    def paragraphs(self, pool: Sequence[str], target: int, topic: Topic, when: datetime) -> list[str]:
        """Paragraphs of two to four sentences until the text reaches about `target` characters."""
        order = list(pool)
        self.rng.shuffle(order)
        out: list[str] = []
        used = 0
        while sum(map(len, out)) < target:
            count = self.rng.randint(2, 4)
            out.append("".join(self.fill(order[(used + i) % len(order)], topic, when) for i in range(count)))
            used += count
        return out

    def article(self, column: ColumnSpec, ident: int, when: datetime, topic: Topic) -> Article:
        source = self.dept(topic) if self.rng.random() < 0.4 else self.spec.short
        return Article(
            site_id=self.spec.id,
            column=column,
            kind=column.kind,
            ident=ident,
            topic=topic.key,
            title="",
            published=when,
            source=source,
            paragraphs=[],
        )

    def news(self, a: Article, topic: Topic) -> None:
        when = a.published
        a.title = self.fill(self.rng.choice(ph.NEWS_TITLES), topic, when)
        body = self.paragraphs(ph.NEWS_BODY, self.rng.randint(250, 1100), topic, when)
        a.paragraphs = [self.fill(self.rng.choice(ph.NEWS_OPEN), topic, when), *body]
        a.paragraphs.append(self.fill(self.rng.choice(ph.NEWS_CLOSE), topic, when))

    def notice(self, a: Article, topic: Topic) -> None:
        when = a.published
        a.title = self.fill(self.rng.choice(ph.NOTICE_TITLES), topic, when)
        a.paragraphs = ["各县（市、区）有关部门，各有关单位：", f"根据工作安排，现将{a.title[2:-3]}有关事项通知如下："]
        sections = self.sentences(ph.NOTICE_BODY, self.rng.randint(4, 7), topic, when)
        a.paragraphs += [f"{cn_number(i + 1)}、{s}" for i, s in enumerate(sections)]
        contact = f"联系人：{self.person()}，联系电话：{self.phone()}。"
        a.paragraphs += ["特此通知。", contact, self.dept(topic), cn_date(when)]

    def personnel(self, a: Article, topic: Topic) -> None:
        names = [self.person() for _ in range(self.rng.randint(2, 5))]
        a.title = f"{self.spec.short}关于{names[0]}等同志职务任免的通知"
        a.paragraphs = ["各县（市、区）人民政府，市政府各部门：", f"经{self.spec.short}研究决定："]
        for i, name in enumerate(names):
            unit, post = self.rng.choice(ph.PERSONNEL_UNITS), self.rng.choice(ph.PERSONNEL_POSTS)
            verb = "任命{0}为{1}{2}；" if i % 2 == 0 else "免去{0}的{1}{2}职务；"
            a.paragraphs.append(verb.format(name, unit, post))
        a.paragraphs[-1] = a.paragraphs[-1][:-1] + "。"
        a.paragraphs += [self.spec.short, cn_date(a.published)]

    def policy(self, a: Article, topic: Topic, year_docs: dict[tuple[str, int], int]) -> None:
        when = a.published
        a.title = self.fill(self.rng.choice(ph.POLICY_TITLES), topic, when)
        prefix, issuer = self.rng.choice(self.spec.issuers)
        doc_no = ""
        if self.rng.random() < 0.75:
            seq = year_docs[(prefix, when.year)] = year_docs.get((prefix, when.year), 0) + self.rng.randint(1, 9)
            left, right = self.rng.choice(BRACKETS)
            doc_no = f"{prefix}{left}{when.year}{right}{seq}号"
        self.policy_seq += 1
        written = when - timedelta(days=self.rng.randint(1, 12))
        a.policy = PolicyInfo(
            index_no=f"{self.spec.site_code}/{when.year}-{self.policy_seq:05d}",
            theme=topic.theme,
            issuer=issuer,
            written=written.date(),
            doc_no=doc_no,
        )
        by_article = any(w in a.title for w in ("办法", "细则"))
        items = self.sentences(ph.POLICY_ITEMS, self.rng.randint(6, 12), topic, when)
        numbered = [
            f"第{cn_number(i + 1)}条　{s}" if by_article else f"{cn_number(i + 1)}、{s}" for i, s in enumerate(items)
        ]
        effective = when + timedelta(days=self.rng.randint(10, 40))
        a.paragraphs = [
            "各县（市、区）人民政府，市政府各部门，各有关单位：",
            self.fill(ph.POLICY_OPEN, topic, when),
            *numbered,
            f"本文件自{cn_date(effective)}起施行，有效期{self.rng.choice((2, 3, 5))}年。",
            issuer,
            cn_date(written),
            "（此件公开发布）",
        ]

    def interpretation(self, a: Article, topic: Topic, policy: Article, linked: bool) -> None:
        assert policy.policy is not None
        when, doc_no = a.published, policy.policy.doc_no
        named = named_title(policy.title)
        a.explains = PolicyRef(title=named, doc_no=doc_no, path=policy.path if linked else None)
        a.title = self.fill(self.rng.choice(ph.INTERP_TITLES), topic, when, title=named)
        cited = f"《{named}》（{doc_no}）" if doc_no else f"《{named}》"
        a.paragraphs = [f"近日，{policy.policy.issuer}印发了{cited}。为便于社会公众了解和掌握政策内容，现解读如下。"]
        for n, head in enumerate(("出台背景", "主要内容", "政策亮点")):
            a.paragraphs.append(f"{cn_number(n + 1)}、{head}")
            a.paragraphs += self.sentences(ph.INTERP_BODY + ph.POLICY_ITEMS, self.rng.randint(2, 4), topic, when)
        a.paragraphs += [
            "四、适用对象",
            f"本文件适用于在{self.city}行政区域内的{'、'.join(self.rng.sample(topic.people, 2))}。",
            f"解读机关：{self.dept(topic)}　解读人：{self.person()}　联系电话：{self.phone()}",
        ]

    def guide(self, a: Article, topic: Topic, item: str | None = None) -> None:
        item = item or self.rng.choice(topic.items) + self.rng.choice(GUIDE_VARIANTS)
        a.title = f"{item}办事指南"
        when = a.published
        conditions = tuple(self.fill(c, topic, when) for c in self.rng.sample(ph.GUIDE_CONDITIONS, 3))
        materials = (*self.rng.sample(topic.materials, self.rng.randint(2, 4)), f"《{item}申请表》")
        center = f"{self.city}政务服务中心"
        a.guide = GuideInfo(
            item=item,
            agency=self.dept(topic),
            conditions=conditions,
            materials=materials,
            place=f"{center}{self.rng.randint(1, 4)}楼{self.rng.randint(1, 40)}号综合窗口",
            hours="工作日上午9:00—12:00，下午13:30—17:30（法定节假日除外）",
            time_limit=f"法定办结时限20个工作日，承诺办结时限{self.rng.randint(1, 10)}个工作日",
            fee="不收费" if self.rng.random() < 0.85 else "按规定收取工本费10元",
            phone=self.phone(),
            online=self.rng.random() < 0.7,
        )
        a.paragraphs = [
            f"办理流程：申请人提交申请—窗口受理—{self.dept(topic)}审核—办结并送达。",
            f"设定依据：《{self.city}{topic.name}管理办法》及国家、省有关规定。",
            f"温馨提示：{item}可通过示范市政务服务网或“示范通”移动端办理，办理进度可通过短信和网上查询。",
        ]

    def letter(self, a: Article, topic: Topic, answered: bool, now: datetime) -> None:
        when = a.published
        question = self.rng.choice(topic.questions)
        variants = (
            question[:-1],
            f"关于{self.rng.choice(topic.items)}的咨询",
            f"咨询{self.rng.choice(topic.subsidies)}申领条件",
        )
        a.title = self.rng.choice(variants)
        asker = self.rng.choice(SURNAMES) + self.rng.choice(("先生", "女士")) if self.rng.random() < 0.8 else "匿名网友"
        a.paragraphs = [self.fill(self.rng.choice(ph.LETTER_ASK), topic, when, question=question)]
        reply: tuple[str, ...] = ()
        replied_at = None
        if answered:
            replied_at = min(when + timedelta(days=self.rng.randint(1, 9), hours=self.rng.randint(1, 6)), now)
            body = self.sentences(ph.LETTER_REPLY, self.rng.randint(2, 4), topic, when)
            thanks = f"如有疑问，请拨打咨询电话{self.phone()}。感谢您对{topic.name}工作的关心和支持！"
            reply = (f"{asker}：您好！您的留言收悉，经认真研究，现答复如下：", *body, thanks)
        a.letter = LetterInfo(
            asker=asker,
            asked_at=when,
            reply_unit=self.dept(topic) if answered else None,
            replied_at=replied_at,
            reply=reply,
        )
