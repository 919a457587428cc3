"""The six boards of a unit's page and their categories (成都 基层公开综合服务监管平台)."""

from __future__ import annotations

from core.errors import Invalid

BOARDS: dict[str, tuple[str, ...]] = {
    "政策法规": ("政策文件", "政策解读"),
    "基层公开": ("党务", "政务", "村(居)务", "财务", "三资", "组务"),
    "便民服务": ("办事指南", "办事结果"),
    "沟通互动": ("依申请公开", "民主评议", "意见征集"),
    "监督管理": ("专项资金监管", "三资监管", "投诉举报"),
    "服务发展": ("经济发展", "文化生活", "乡村振兴"),
}
ALIASES = {"村务": "村(居)务", "居务": "村(居)务", "村（居）务": "村(居)务", "农村集体三资": "三资", "组务公开": "组务"}
BOARD_OF: dict[str, str] = {c: b for b, cs in BOARDS.items() for c in cs}


def check_category(category: str, board: str | None = None) -> tuple[str, str]:
    """(board, category) for a category name (aliases folded); Invalid naming the known ones otherwise."""
    category = ALIASES.get(category.strip(), category.strip())
    found = BOARD_OF.get(category)
    if found is None:
        raise Invalid(f"unknown category {category!r}; known: {', '.join(BOARD_OF)}")
    if board and board.strip() and board.strip() != found:
        raise Invalid(f"category {category} belongs to board {found}, not {board.strip()}")
    return found, category


def metric(board: str, category: str) -> str:
    """The roll-up metric of a category's items."""
    return f"items:{board}/{category}"
