"""SQL of a subtree's page of items (`items(below: true)`): planned for its own range and size.

A generic plan of a cached statement cannot tell a 市 from a 乡镇街道, so the codes and the page bounds are written
into the statement (checked 12-digit codes and ints: safe), and the caller says which way to read: `ordered`, the
newest published items in order from `disclosure_items_recent_idx` until the page is full (a subtree holding a
quarter of its 市's items or more: no sort at all), else the subtree's range of `disclosure_items_page_idx`
sorted (a narrow subtree: its index entries). The page's ids are chosen first (narrow rows to sort), then their
items are read, in one statement."""

from __future__ import annotations

import re
from datetime import date

from core.disclosure.models import Item
from core.disclosure.store import ITEM_COLUMNS, Conn, item_of

CODE = re.compile(r"[0-9]{12}")


async def subtree_page(
    conn: Conn,
    *,
    first: str,
    last: str,
    ordered: bool,
    category: str | None,
    start: date | None,
    end: date | None,
    offset: int,
    limit: int,
) -> list[Item]:
    if not (CODE.fullmatch(first) and CODE.fullmatch(last)):
        raise ValueError(f"not a range of unit codes: {first!r}..{last!r}")
    # `|| ''` keeps the planner off the unit index (read in date order); `+ 0` off the date order (read the range)
    unit = f"unit_code || '' between '{first}' and '{last}'" if ordered else f"unit_code between '{first}' and '{last}'"
    newest = "period_start desc" if ordered else "period_start + 0 desc"
    order = f"{newest}, published_at desc, id"
    rows = await conn.fetch(
        f"""select {ITEM_COLUMNS} from disclosure_items where id = any(array(
                select id from disclosure_items where {unit} and published_at is not null and withdrawn_at is null
                    and ($1::text is null or category = $1) and ($2::date is null or period_start >= $2)
                    and ($3::date is null or period_end <= $3)
                order by {order} offset {int(offset)} limit {int(limit)}))
            order by period_start desc, published_at desc, id""",
        category,
        start,
        end,
    )
    return [item_of(r) for r in rows]
