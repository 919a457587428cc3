"""The measured goal on the DataFountain COVID-19 policy FAQ (docs/qa-quality.md): top-1 of `ask`."""

from __future__ import annotations

from pathlib import Path

import pytest

from core.qa.answerer import KnowledgeBase
from ops.bench.qa_eval import ISSUE_KINDS, BigramBaseline, accuracy, load_eval, load_ncp_pairs

pytestmark = [pytest.mark.corpus, pytest.mark.slow]


def test_ask_meets_the_top1_goal_on_questions_we_wrote(corpus: Path) -> None:
    pairs = load_ncp_pairs(corpus)
    assert len(pairs) == 5000
    kb = KnowledgeBase()
    kb.load(pairs)
    items = load_eval()
    assert len(items) >= 200
    stored = {p.question for p in pairs}
    assert not any(item.question in stored for item in items), "evaluation questions must not be stored strings"

    ours = accuracy(items, lambda q: kb.reply(q).best_id)
    plain = accuracy(items, BigramBaseline(pairs).top1)
    issue_items = [item for item in items if item.kind in ISSUE_KINDS]
    goal = accuracy(issue_items, lambda q: kb.reply(q).best_id)

    assert goal["all"] >= 0.92, goal
    assert all(goal[kind] >= 0.85 for kind in ISSUE_KINDS), goal
    # The harder reworded questions are reported, not held to the goal; we must stay well above plain bigrams.
    assert ours["reworded"] >= plain["reworded"] + 0.15, (ours, plain)
    assert ours["all"] > plain["all"], (ours, plain)
