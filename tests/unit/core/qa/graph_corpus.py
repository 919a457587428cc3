"""The corpus's Guangdong service guides as the guide documents the project stores, and a graph built from them."""

from __future__ import annotations

import json
from pathlib import Path

from core.qa.graph.extract import guide_graph
from core.qa.graph.graph import ServiceGraph
from core.qa.graph.models import ServiceView
from core.qa.graph.resolve import default_variants

GUIDES = "guangdong-service-guides-clarencekong/service_guides.jsonl"


def _useful(value: object) -> str:
    text = str(value or "").strip()
    return "" if text in ("无", "null", "None") else text


def guide_text(r: dict) -> str:
    """A guide record written as the labelled text of a stored guide page (one material per line)."""
    lines = [f"事项名称：{r['TASK_NAME']}", f"实施主体：{r['DEPT_NAME']}"]
    if _useful(r.get("accept_standard")):
        lines.append(f"受理条件：{r['accept_standard']}")
    materials = [m for m in r.get("material_intro") or [] if _useful(m)]
    if materials:
        lines += ["申请材料", *materials]
    labelled = (
        ("办理地点", str(r.get("handle_location") or "").removeprefix("办理地点：")),
        ("办理时限", r.get("handle_time_limit")),
        ("咨询电话", r.get("consult_phone")),
        ("办理平台", r.get("bear_paltform")),
        ("是否网办", r.get("online_book")),
    )
    lines += [f"{label}：{value}" for label, value in labelled if _useful(value)]
    return "\n".join(lines)


def records(corpus: Path) -> list[dict]:
    return [json.loads(line) for line in (corpus / GUIDES).read_text(encoding="utf-8").splitlines()]


def corpus_graph(corpus: Path) -> ServiceGraph:
    views = []
    for r in records(corpus):
        g = guide_graph(document_id=r["TASK_CODE"], url=r.get("URL") or "", title=r["TASK_NAME"], text=guide_text(r))
        if g is not None:
            views.append(ServiceView(g.service, g.attrs, g.neighbours))
    graph = ServiceGraph(default_variants())
    graph.load(views, 1)
    return graph
