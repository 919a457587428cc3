"""Column types (栏目类型) from column names; an admin override in site_columns.type_override wins."""

from __future__ import annotations

COLUMN_TYPES = (
    "news",
    "notice",
    "policy",
    "interpretation",
    "service",
    "interaction",
    "personnel",
    "planning",
    "other",
)
# Checked in order: the first type whose words appear in the name wins (政策解读 is an interpretation,
# not a policy; 政务督查 and other reporting columns count as 动态).
NAME_WORDS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("interpretation", ("解读", "回应", "发布会")),
    ("interaction", ("互动", "留言", "信箱", "咨询", "问答", "征集", "投诉")),
    ("notice", ("通知", "公告", "公示", "通告")),
    ("policy", ("政策", "文件", "法规", "规章", "规范性")),
    ("personnel", ("人事", "任免", "招录", "招聘")),
    ("planning", ("规划", "计划", "总结", "报告")),
    ("service", ("办事", "服务", "指南", "便民")),
    ("news", ("要闻", "动态", "新闻", "资讯", "督查", "工作", "快讯", "图片", "视频")),
)
# Types that must keep updating: a long idle column of one of these counts against the site.
SHOULD_UPDATE = frozenset({"news", "notice", "policy", "interpretation", "personnel", "planning", "service"})


def column_type_of(name: str) -> str:
    """The type a column's name suggests: 要闻动态 -> news, 通知公告 -> notice, 政策文件 -> policy, …"""
    for kind, words in NAME_WORDS:
        if any(w in name for w in words):
            return kind
    return "other"


# An item of a column, in SQL over documents d joined to site_columns c: not a list page or the homepage. A list
# page the extractor took for an article still carries the column's name as its title.
ITEM_SQL = "(d.kind not in ('column', 'homepage') and d.title <> c.name)"
