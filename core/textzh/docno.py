"""文号 (document number) parsing: issuer prefix, year and number, and one canonical form for matching."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

__all__ = ["DocNo", "find_doc_nos", "parse_doc_no", "parse_doc_nos"]

_INVISIBLE = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff\u00ad"), None)
# NFKC already folds full-width digits, ［］ （） and ﹝﹞; these are the brackets it leaves alone.
_BRACKETS = str.maketrans({"[": "〔", "(": "〔", "【": "〔", "〖": "〔", "]": "〕", ")": "〕", "】": "〕", "〗": "〕"})
_CN_DIGITS = str.maketrans("〇零○Ｏ一二三四五六七八九", "0000123456789")
_LABEL = re.compile(r"^\s*(?:发\s*文\s*字\s*号|发\s*文\s*号|文\s*件\s*编\s*号|文\s*号|字\s*号)\s*[:：]?\s*")
# Words that end the running text before a 文号 (“…的通知国办发…”, “根据国办发…”): the prefix starts after them.
_LEAD_NOISE = re.compile(
    r".*(?:通知|通告|公告(?=[^\s]{2,}(?:令|发|函|字|规))|意见|决定|批复|办法|方案|关于|根据|据|按照|依据|依照|参照|落实|废止"
    r"|印发|转发|已发布|发布|贯彻|执行|现将|详见|参见|附件|的|(?<!共)和|及|与|或)"
)
_GOV_LABEL = re.compile(r"^(?:省|市|自治区|区|县)人民政府(?=[^令公]{2,})")
_YEAR = r"((?:19|20)\d{2}|[〇零○一二三四五六七八九]{4})"
_NUM = r"第?\s*(\d{1,6})"
_PREFIX = r"((?![号第])[\u4e00-\u9fff][\u4e00-\u9fffA-Za-z]{0,29}?)"
_FORMS = [
    # 国办发〔2017〕47号, 国办发〔2017〕第47号, 晋政发〔2014〕号16 (a typo seen in real data)
    re.compile(_PREFIX + r"\s*〔\s*" + _YEAR + r"\s*(?:年\s*〕|〕)?\s*(?:" + _NUM + r"\s*号?|号\s*(\d{1,6}))"),
    # 国办发2017年47号, 国家税务总局公告2015年第41号
    re.compile(_PREFIX + r"\s*" + _YEAR + r"\s*年\s*" + _NUM + r"\s*号"),
    # 国办发 2017 47
    re.compile(_PREFIX + r"\s+" + _YEAR + r"\s+(\d{1,6})\s*号?(?!\d)"),
    # 国令第706号, 省政府令 第94号; 国务院令708号 and 国务院令第708 (令 without 第, or without 号)
    re.compile(_PREFIX + r"(?:\s*第\s*(\d{1,6})\s*号|(?<=令)\s*第?\s*(\d{1,6})\s*号?(?![-—–/\d]))"),
    # 国办发2017-47号, 国办发-2017-47, 国办发2017/47号, 国办发2017第47号 (a dash or nothing for the brackets)
    re.compile(_PREFIX + r"\s*[-—–]?\s*" + _YEAR + r"\s*(?:[-—–/]|(?=第))\s*" + _NUM + r"\s*号?(?![-—–/.\d])"),
]
_ORDER_PREFIX = re.compile(r"(?:令|公告|通告)$")
# 国令 is gov.cn's name of the State Council's order series; pages head it 中华人民共和国国务院令, people 国务院令.
_ORDER_ALIASES = {"国务院令": "国令", "中华人民共和国国务院令": "国令"}


@dataclass(frozen=True, slots=True)
class DocNo:
    """One parsed 文号: issuer prefix (国办发), year (None for 令第N号 series) and number."""

    prefix: str
    year: int | None
    number: int
    raw: str = ""

    @property
    def normalized(self) -> str:
        """Canonical form used for matching: 国办发〔2017〕47号, or 国令第706号 when there is no year."""
        if self.year is None:
            return f"{self.prefix}第{self.number}号"
        return f"{self.prefix}〔{self.year}〕{self.number}号"

    def __str__(self) -> str:
        return self.normalized


def _clean(s: str) -> str:
    s = unicodedata.normalize("NFKC", s).translate(_INVISIBLE).translate(_BRACKETS)
    return s.replace("\u3000", " ").strip()


def _clean_prefix(prefix: str) -> str:
    prefix = prefix.strip()
    m = _LEAD_NOISE.match(prefix)
    if m and len(prefix) - m.end() >= 1:
        prefix = prefix[m.end() :]
    prefix = _GOV_LABEL.sub("", prefix)
    return prefix.lstrip("号第")


def _year(s: str) -> int:
    return int(s.translate(_CN_DIGITS))


def _from_match(m: re.Match[str], form: int) -> DocNo | None:
    prefix = _clean_prefix(m.group(1))
    if not prefix:
        return None
    if form == 3:
        prefix = _ORDER_ALIASES.get(prefix, prefix)
        return DocNo(prefix, None, int(m.group(2) or m.group(3)), m.group(0).strip())
    number = m.group(3) or (m.group(4) if form == 0 else None)
    if number is None:
        return None
    return DocNo(prefix, _year(m.group(2)), int(number), m.group(0).strip())


def _plausible_in_text(m: re.Match[str], form: int, doc: DocNo) -> bool:
    """Running text is full of 2019年12号, 2019-12 and 第2741号提案: there only the unambiguous forms count."""
    if form == 0:
        return True
    if form == 1:
        return "第" in m.group(0)
    if not m.group(0).endswith("号"):
        return False
    return form == 4 or bool(_ORDER_PREFIX.search(doc.prefix))


def _scan(s: str, *, in_text: bool = False) -> list[tuple[int, int, DocNo]]:
    """Every non-overlapping 文号 in s, earliest first; bracket forms win over looser ones."""
    found: list[tuple[int, int, DocNo]] = []
    taken: list[tuple[int, int]] = []
    for i, form in enumerate(_FORMS):
        if in_text and i == 2:
            continue
        for m in form.finditer(s):
            if any(m.start() < end and start < m.end() for start, end in taken):
                continue
            doc = _from_match(m, i)
            if doc is not None and (not in_text or _plausible_in_text(m, i, doc)):
                found.append((m.start(), m.end(), doc))
                taken.append((m.start(), m.end()))
    found.sort(key=lambda t: t[0])
    return found


def parse_doc_nos(s: str | None) -> list[DocNo]:
    """All 文号 of a 发文字号 field value; joint issuance (人社部发〔2019〕3号、财社〔2019〕2号) gives several."""
    if not s:
        return []
    return [doc for _, _, doc in _scan(_LABEL.sub("", _clean(s)))]


def parse_doc_no(s: str | None) -> DocNo | None:
    """The 文号 of a field value (the lead issuer's one for joint issuance), or None when there is none."""
    docs = parse_doc_nos(s)
    return docs[0] if docs else None


def find_doc_nos(text: str | None) -> list[DocNo]:
    """文号 quoted inside titles and running text, in order of appearance, without duplicates."""
    if not text:
        return []
    seen: set[str] = set()
    out: list[DocNo] = []
    for _, _, doc in _scan(_clean(text), in_text=True):
        if doc.normalized not in seen:
            seen.add(doc.normalized)
            out.append(doc)
    return out
