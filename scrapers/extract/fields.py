"""Labelled fields (索引号, 发文字号, 成文日期 …) in any layout: table cells, 'label：value' text, dl, li/span."""

from __future__ import annotations

import re
from collections.abc import Callable

from core.textzh.dates import parse_date
from core.textzh.docno import parse_doc_no

FIELD_LABELS: dict[str, tuple[str, ...]] = {
    "index_no": ("索引号", "索取号"),
    "theme": ("主题分类", "信息分类", "主题类别", "分类"),
    "issuer": ("发文机关", "发布机关", "发文单位", "发布机构", "发文机构", "制发机关", "发布单位", "成文单位"),
    "written_date": ("成文日期", "成文时间", "发文日期", "印发日期"),
    "published_date": ("发布日期", "发布时间", "公开日期", "公开时间", "发表时间", "发表日期", "上传时间"),
    "doc_no": ("发文字号", "文号", "发文号", "文件编号"),
    "validity": ("有效性", "文件状态", "时效性", "效力状态", "是否有效", "有效状态", "效力"),
    "title": ("标题", "文件名称", "公文名称", "名称"),
    "source": ("信息来源", "文章来源", "稿件来源", "来源"),
    "date": ("时间", "日期"),
}
# Labels that only end the value before them (浏览次数：- after 发布日期：2023-11-07).
STOP_LABELS = (
    *("主题词", "关键词", "浏览次数", "浏览量", "访问量", "点击数", "点击量", "阅读数", "字体大小", "字体"),
    *("浏览字号", "字号", "分享到", "统一编号", "实施日期", "施行日期", "失效日期", "生效日期", "废止日期"),
    *("公开方式", "公开范围", "作者", "责任编辑", "编辑", "体裁分类", "组配分类", "服务对象分类", "服务对象"),
)
_LABEL_FIELD = {label: name for name, labels in FIELD_LABELS.items() for label in labels}
_ALL_LABELS = sorted({*_LABEL_FIELD, *STOP_LABELS}, key=len, reverse=True)
_LABEL_ALT = "|".join(r"\s*".join(map(re.escape, label)) for label in _ALL_LABELS)
_LABEL_RE = re.compile(rf"(?:^|(?<=[\s|｜,，;；【\[]))(?P<label>{_LABEL_ALT})\s*[:：]")
_BARE_LABEL = re.compile(rf"^(?P<label>{_LABEL_ALT})\s*[:：]?$")
_WS = re.compile(r"\s+")
_CJK = re.compile(r"[\u4e00-\u9fff]")
_INDEX_NO = re.compile(r"^[0-9A-Za-z][0-9A-Za-z/\-_.\s]{3,58}$")
_VALIDITY = (("废止", "废止"), ("失效", "失效"), ("过期", "失效"), ("修订", "修订"), ("修改", "修订"), ("有效", "有效"))


def _label_name(raw: str) -> str:
    return _WS.sub("", raw)


def normalize_validity(value: str) -> str | None:
    """有效 / 失效 / 废止 / 修订 from 现行有效, 已失效, 部分废止 and the like."""
    for needle, canonical in _VALIDITY:
        if needle in value and not ("有效" in value and needle == "失效" and value.startswith("有效期")):
            return canonical
    return None


def _short(limit: int) -> Callable[[str], bool]:
    return lambda v: 0 < len(v) <= limit and "：" not in v and ":" not in v


_VALID: dict[str, Callable[[str], bool]] = {
    "index_no": lambda v: bool(_INDEX_NO.match(v)) and any(c.isdigit() for c in v),
    "theme": _short(80),
    "issuer": lambda v: _short(120)(v) and parse_date(v) is None,
    "written_date": lambda v: parse_date(v) is not None,
    "published_date": lambda v: parse_date(v) is not None,
    "doc_no": lambda v: len(v) <= 80 and parse_doc_no(v) is not None,
    "validity": lambda v: len(v) <= 20 and normalize_validity(v) is not None,
    "title": lambda v: 2 <= len(v) <= 300 and bool(_CJK.search(v)),
    "source": _short(80),
    "date": lambda v: parse_date(v) is not None,
}


def _segments(line: str) -> list[tuple[str, str]]:
    """(label, value) pairs of one line; a line that is only a label gives an empty value."""
    bare = _BARE_LABEL.match(line)
    if bare:
        return [(_label_name(bare.group("label")), "")]
    found = list(_LABEL_RE.finditer(line))
    pairs = []
    for i, m in enumerate(found):
        end = found[i + 1].start() if i + 1 < len(found) else len(line)
        pairs.append((_label_name(m.group("label")), line[m.end() : end].strip(" |｜,，;；【】[]")))
    return pairs


STRICT_FIELDS = frozenset({"index_no", "doc_no", "written_date", "published_date", "validity"})


def labelled_fields(lines: list[str], *, body_start: int | None = None) -> dict[str, str]:
    """The first valid value of each field; a label whose own cell is empty takes the next line (table layouts).

    Before body_start every field counts; after it (inside the body and below) only the fields whose values
    validate strictly, so that a body table's 分类 or 名称 column is not taken for page metadata.
    """
    out: dict[str, str] = {}
    for i, line in enumerate(lines):
        if body_start is not None and i >= body_start and out.keys() >= STRICT_FIELDS:
            break
        for label, value in _segments(line):
            name = _LABEL_FIELD.get(label)
            if name is None or name in out:
                continue
            if body_start is not None and i >= body_start and name not in STRICT_FIELDS:
                continue
            if not value and i + 1 < len(lines) and not _segments(lines[i + 1]):
                value = lines[i + 1]
            if value and _VALID[name](value):
                out[name] = value
    return out
