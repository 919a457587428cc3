"""Audience tags (个人, 企业, 老年人 …) of a policy from keyword rules over its title and text."""

from __future__ import annotations

import re

# tag -> words that name that group. Titles count on one mention; the body needs two, so a passing
# “各有关单位、企业” in a list of addressees does not make every notice a company policy.
AUDIENCE_RULES: dict[str, tuple[str, ...]] = {
    "个人": ("个人", "居民", "市民", "群众", "公民", "城乡居民", "参保人员", "职工", "灵活就业人员"),
    "企业": ("企业", "市场主体", "个体工商户", "小微企业", "中小企业", "民营企业", "用人单位", "新办企业", "公司"),
    "老年人": ("老年人", "老年", "高龄", "养老", "退休人员", "老人", "特困老人"),
    "残疾人": ("残疾人", "残疾", "重度残疾", "残联"),
    "学生": ("学生", "高校毕业生", "毕业生", "在校生", "适龄儿童", "中小学", "幼儿"),
    "农民": ("农民", "农村", "农户", "种粮", "脱贫人口", "农民工", "三农", "新型农业经营主体"),
    "儿童": ("儿童", "未成年人", "婴幼儿", "孤儿", "托育"),
    "妇女": ("妇女", "孕产妇", "女职工", "生育"),
    "退役军人": ("退役军人", "军人", "优抚对象", "烈士", "军属"),
    "就业创业者": ("就业困难人员", "失业人员", "创业", "求职", "就业见习"),
    "低收入群体": ("低保", "特困", "低收入", "困难群众", "救助对象", "最低生活保障"),
    "外来人员": ("新市民", "外来务工", "随迁子女", "流动人口", "港澳台", "外籍"),
}
_BODY_MIN = 2
_WORDS = {tag: re.compile("|".join(map(re.escape, words))) for tag, words in AUDIENCE_RULES.items()}


def audience_tags(title: str, text: str) -> list[str]:
    """Tags whose words occur once in the title or at least twice in the text, in AUDIENCE_RULES order."""
    tags = []
    for tag, pattern in _WORDS.items():
        if pattern.search(title) or len(pattern.findall(text)) >= _BODY_MIN:
            tags.append(tag)
    return tags
