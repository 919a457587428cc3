"""The four-level hierarchy by 统计用区划代码: a unit's level, parent and ancestors follow from its 12-digit code."""

from __future__ import annotations

import re

from core.errors import Invalid

LEVELS: tuple[str, ...] = ("市", "区县", "乡镇街道", "村社区")
# digits of the code that name a unit of each level; the rest are zeros (a village uses all twelve)
PREFIX_DIGITS: dict[str, int] = {"市": 4, "区县": 6, "乡镇街道": 9, "村社区": 12}
CODE = re.compile(r"[0-9]{12}")
SITE_PREFIX = "unit-"


def check_code(code: str, *, where: str = "unit code") -> str:
    """The code when it is 12 digits naming a unit of one of the four levels; Invalid otherwise."""
    code = code.strip()
    if not CODE.fullmatch(code):
        raise Invalid(f"{where} {code!r} is not a 12-digit 统计用区划代码")
    level_of(code)
    return code


def level_of(code: str) -> str:
    """市 (4 digits then zeros), 区县 (6), 乡镇街道 (9) or 村社区 (12)."""
    if code[2:4] == "00":
        raise Invalid(f"unit code {code} names a province, not a unit of 市 / 区县 / 乡镇街道 / 村社区")
    if code[9:] != "000":
        return "村社区"
    if code[6:9] != "000":
        return "乡镇街道"
    if code[4:6] != "00":
        return "区县"
    return "市"


def prefix_of(code: str) -> str:
    """The digits every unit below this one starts with (its subtree is the codes with this prefix)."""
    return code[: PREFIX_DIGITS[level_of(code)]]


def subtree(code: str) -> tuple[str, str]:
    """The first and last code of the unit and everything below it: a range of one index (codes are all 12
    digits, so they compare alike under every collation, and a generic plan still uses the index)."""
    prefix = prefix_of(code)
    return prefix.ljust(12, "0"), prefix.ljust(12, "9")


def parent_code(code: str) -> str | None:
    """The code of the unit directly above (None for a 市)."""
    level = level_of(code)
    index = LEVELS.index(level)
    if index == 0:
        return None
    keep = PREFIX_DIGITS[LEVELS[index - 1]]
    return code[:keep].ljust(12, "0")


def ancestors(code: str) -> list[str]:
    """The chain from the 市 down to the unit itself."""
    chain = [code]
    while (up := parent_code(chain[-1])) is not None:
        chain.append(up)
    return chain[::-1]


def is_under(code: str, top: str) -> bool:
    """True when `code` is `top` or below it."""
    return code.startswith(prefix_of(top))


def site_id_of(code: str) -> str:
    """The site each unit is (editors of that site edit the unit)."""
    return f"{SITE_PREFIX}{code}"


def check_parent(code: str, declared_parent: str | None, name: str = "") -> None:
    """Invalid when the parent a row declares is not the one the code sits under (a village under the wrong
    township, a township under the wrong district)."""
    expected = parent_code(code)
    if declared_parent is None or declared_parent == expected:
        return
    level = level_of(code)
    label = f"{level} {code}" + (f" ({name})" if name else "")
    above = LEVELS[LEVELS.index(level) - 1] if expected else "nothing"
    raise Invalid(
        f"{label} sits under {above} {expected} by its code, not under {declared_parent}: "
        f"a {level} under the wrong {above}"
    )
