"""The salient terms of one document for hot words: title words and phrases, body words said more than once."""

from __future__ import annotations

import itertools
import re
from collections import Counter

from core.textzh import get_analyzer, lexicon

TEXT_CHARS = 4000  # the lead of the body: enough for what a notice is about, bounded work per document
MAX_TERMS = 64  # per document
TERM_MAX = 40  # characters
_CJK = re.compile(r"^[\u3400-\u4dbf\u4e00-\u9fff]+$")
_WORD = re.compile(r"^[a-z][a-z0-9]{2,}$")  # latin words of 3+ characters (5g, 2024 are not words)
_DATEISH = re.compile(r"[0-9０-９一二三四五六七八九十百零〇]+(年|月|日|号|时|分|期|届|次|个|项|条|款|件|批)")

# Words of every government notice that say nothing of its subject; site-specific boilerplate (a footer, a
# department's name on every page) is found by counting instead (see hot_words.BOILERPLATE_SHARE).
_STOPWORDS = """
    关于 通知 公告 公示 印发 转发 发布 工作 有关 相关 进一步 开展 加强 推进 推动 做好 落实 实施 办法 意见 方案
    规定 要求 情况 进行 组织 全面 积极 各级 各类 有效 单位 部门 人民政府 政府 我市 我区 我县 本市 全市 全区 全县
    各区 各县 市委 区委 县委 年度 时间 期间 日期 目前 今年 近日 日前 当天 同时 以上 以下 其他 其中 已经 正在 通过
    根据 按照 依据 为了 对于 一步 一是 二是 三是 四是 第一 第二 第三 主要 重要 重点 提高 提升 完善 建立 健全
    坚持 深入 不断 持续 切实 保障 服务 管理 建设 发展 单位名称 联系电话 联系人 地址 电话 邮编 附件 来源 浏览
    次数 字号 打印 关闭 首页 网站 页面 上一篇 下一篇 分享 扫一扫 版权所有 主办 承办 备案
    结果 多久 拿到 需要 可以 怎么 如何 什么 哪里 哪些 是否 本人 如下 现就 所需 事项 有关事项 群体 办理"""
CONTENT_STOPWORDS = frozenset(_STOPWORDS.split())


def _keep(token: str, stop: frozenset[str]) -> bool:
    if len(token) < 2 or len(token) > TERM_MAX or token in stop or token in CONTENT_STOPWORDS:
        return False
    if _CJK.match(token):
        return _DATEISH.fullmatch(token) is None
    return _WORD.match(token) is not None


def _title_terms(title: str, stop: frozenset[str]) -> list[str]:
    """Title words, and each pair of adjacent title words as one phrase (人才 公寓 → 人才公寓)."""
    tokens = get_analyzer().tokens(title)
    kept = [t if _keep(t, stop) else "" for t in tokens]
    phrases = [a + b for a, b in itertools.pairwise(kept) if a and b and _CJK.match(a + b)]
    return [t for t in kept if t] + [p for p in phrases if len(p) <= TERM_MAX]


def salient_terms(title: str, text: str) -> list[str]:
    """Distinct terms a document is about: its title's words and phrases first, then words of the body's lead
    that occur at least twice, most frequent first; stop words, dates, numbers and notice boilerplate dropped."""
    stop = lexicon.stopwords()
    ordered = dict.fromkeys(_title_terms(title, stop))
    body = Counter(t for t in get_analyzer().tokens(text[:TEXT_CHARS]) if _keep(t, stop))
    for term, n in sorted(body.items(), key=lambda kv: (-kv[1], kv[0])):
        if n < 2 or len(ordered) >= MAX_TERMS:
            break
        ordered.setdefault(term)
    return list(ordered)[:MAX_TERMS]
