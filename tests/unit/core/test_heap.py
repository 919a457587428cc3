"""The long-lived structures an API process freezes after building them (core.heap) must be freed without the
collector once dropped: a reference cycle among them would never be reclaimed once frozen."""

from __future__ import annotations

import gc
from collections.abc import Callable, Iterator

import pytest

from core.heap import keep_built
from core.qa.answerer import KnowledgeBase
from core.qa.models import QaPair
from core.search.suggest import Completer
from core.search.titles import TitleDoc, TitleIndex
from core.search.understand import Lexicon

TITLES = ["广州市长期护理保险试行办法", "河北雄安新区总体规划", "关于做好2024年城乡居民基本医疗保险工作的通知"]


def _lexicon() -> object:
    vocabulary = [("社保", 50), ("社会保障卡", 30), ("公积金", 40), ("长期护理保险", 9)]
    return Lexicon(vocabulary, doc_count=10, titles=TITLES)


def _titles() -> object:
    return TitleIndex(
        [TitleDoc(id=str(i), title=t, url=f"https://www.gz.gov.cn/{i}", site="gz") for i, t in enumerate(TITLES)]
    )


def _completer() -> object:
    lexicon = Lexicon([("社保", 50), ("社会保障卡", 30)], doc_count=10, titles=TITLES)
    return Completer(lexicon.readings, [("社保卡补办", 12)])


def _knowledge_base() -> object:
    kb = KnowledgeBase()
    kb.load(
        [
            QaPair(id="a", question="社保卡丢了怎么补办？", answer="携带身份证到社保经办机构或合作银行网点办理补办。"),
            QaPair(id="b", question="公积金怎么提取？", answer="登录公积金网上服务大厅，选择提取业务并上传材料。"),
        ],
        version=1,
    )
    kb.reply("社保卡怎么办理")
    return kb


@pytest.fixture
def collector_off() -> Iterator[None]:
    gc.collect()
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


@pytest.mark.parametrize("build", [_lexicon, _titles, _completer, _knowledge_base], ids=lambda b: b.__name__)
def test_a_dropped_build_leaves_nothing_only_the_collector_could_free(
    build: Callable[[], object], collector_off: None
) -> None:
    build()  # the first build loads dictionaries and tables that stay
    gc.collect()
    built = build()
    del built
    assert gc.collect() == 0, "building and dropping left reference cycles: freezing them would leak them"


def test_keep_built_moves_what_is_alive_out_of_the_collectors_reach() -> None:
    before = gc.get_freeze_count()
    kept = _lexicon()
    try:
        keep_built("query vocabulary")
        assert gc.get_freeze_count() > before
        assert not any(o is kept for o in gc.get_objects(generation=2)), "a frozen object is in no generation"
    finally:
        gc.unfreeze()  # other tests' heaps are theirs; production freezes for the life of the process
