"""Generated government documents of 1–3 KB (UTF-8) and the queries run against them."""

from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import date

from core.search.models import IndexDoc

CITIES = ["广州市", "深圳市", "佛山市", "东莞市", "珠海市", "惠州市", "中山市", "江门市", "湛江市", "韶关市"]
DISTRICTS = ["天河区", "越秀区", "海珠区", "白云区", "黄埔区", "番禺区", "花都区", "南沙区", "从化区", "增城区"]
DEPARTMENTS = [
    "人力资源和社会保障局",
    "医疗保障局",
    "民政局",
    "住房和城乡建设局",
    "市场监督管理局",
    "教育局",
    "卫生健康委员会",
    "公安局",
    "财政局",
    "交通运输局",
    "生态环境局",
    "农业农村局",
    "税务局",
    "司法局",
]
TOPICS = [
    "社会保障卡",
    "失业保险金",
    "长期护理保险",
    "最低生活保障",
    "临时救助",
    "公共租赁住房",
    "人才公寓",
    "积分制入户",
    "创业担保贷款",
    "就业见习",
    "职业技能培训",
    "异地就医备案",
    "生育津贴",
    "家庭医生签约服务",
    "义务教育招生",
    "高龄津贴",
    "残疾人两项补贴",
    "住房公积金提取",
    "居住证",
    "营业执照",
    "食品经营许可",
    "城乡居民养老保险",
    "医疗救助",
    "特困人员供养",
    "劳动人事争议仲裁",
    "不动产登记",
    "建设工程规划许可",
    "无障碍环境建设",
    "垃圾分类",
    "老旧小区改造",
    "个人所得税专项附加扣除",
    "小微企业减税降费",
    "高新技术企业认定",
    "农村集体经营性建设用地",
    "河长制",
    "政务服务一网通办",
    "数字政府建设",
]
VERBS = ["印发", "做好", "进一步加强", "调整", "推进", "规范", "开展", "实施", "完善", "落实"]
DOCTYPES = ["实施办法", "管理办法", "工作方案", "实施细则", "通知", "指导意见", "办事指南", "政策解读", "常见问题解答"]
KINDS = ["policy", "interpretation", "news", "notice", "service", "qa"]
SUBJECTS = [
    "申请人",
    "参保人员",
    "用人单位",
    "各区人民政府",
    "市直各单位",
    "符合条件的家庭",
    "本市户籍居民",
    "经办机构",
]
ACTIONS = [
    "应当按照规定提交申请材料",
    "可以通过广东政务服务网在线办理",
    "由街道社区服务中心受理并初审",
    "经审核符合条件的予以公示",
    "所需资金由市区两级财政按比例分担",
    "办理时限为十个工作日",
    "对弄虚作假骗取待遇的依法追回",
    "相关标准根据经济社会发展水平适时调整",
    "咨询电话为政务服务便民热线12345",
    "材料不齐全的一次性告知需要补正的内容",
    "实行告知承诺制",
    "纳入社会信用体系管理",
]
CLAUSES = [
    "为贯彻落实党中央国务院决策部署",
    "根据有关法律法规规定",
    "结合本市实际",
    "经市人民政府同意",
    "为进一步优化营商环境",
    "为切实保障和改善民生",
    "按照放管服改革要求",
]


def _sentence(rng: random.Random, topic: str) -> str:
    return (
        f"{rng.choice(CLAUSES)}，{rng.choice(SUBJECTS)}办理{rng.choice([topic, *rng.sample(TOPICS, 2)])}"
        f"{rng.choice(ACTIONS)}。"
    )


def document(i: int, seed: int = 7) -> IndexDoc:
    """Document number i: a title naming a city, department and topic, a body of 1–3 KB."""
    rng = random.Random(seed * 1_000_003 + i)
    city, dept, topic = rng.choice(CITIES), rng.choice(DEPARTMENTS), rng.choice(TOPICS)
    title = f"{city}{dept}关于{rng.choice(VERBS)}{topic}{rng.choice(DOCTYPES)}"
    if rng.random() < 0.3:
        title = f"{rng.choice(DISTRICTS)}{topic}{rng.choice(DOCTYPES)}"
    target = rng.randint(1000, 3000)
    parts = [f"{title}。"]
    size = len(parts[0].encode())
    while size < target:
        sentence = _sentence(rng, topic)
        size += len(sentence.encode())
        parts.append(sentence)
    text = "".join(parts)
    while len(text.encode()) > 3000:
        text = text[:-1]
    published = date(2015 + i % 11, 1 + i % 12, 1 + i % 28)
    return IndexDoc(
        id=f"bench-{i}",
        url=f"http://bench.invalid/{i}.html",
        title=title,
        text=text,
        site=f"site-{i % 20}",
        kind=KINDS[i % len(KINDS)],
        published_at=published,
        department=f"{city}{dept}",
        region=city,
    )


def documents(n: int, start: int = 0) -> Iterator[IndexDoc]:
    for i in range(start, start + n):
        yield document(i)


def queries() -> list[str]:
    """What citizens type: a topic, a topic with a place or a word of service, two topics."""
    rng = random.Random(11)
    out = list(TOPICS)
    out += [f"{rng.choice(CITIES)} {t}" for t in rng.sample(TOPICS, 10)]
    out += [f"{t} 申请材料" for t in rng.sample(TOPICS, 8)]
    out += [f"{a} {b}" for a, b in zip(rng.sample(TOPICS, 6), rng.sample(TOPICS, 6), strict=True)]
    out += ["办理时限", "咨询电话", "告知承诺制", "营商环境", "在线办理"]
    return out
