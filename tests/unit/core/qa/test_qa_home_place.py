"""HOME_PLACE: on a city's deployment, 本市 / 我市 / 咱们这儿 in a question name that city (issue 20: the right
city's answer wins), while a question naming another place keeps it and a stored 本市 pair still matches."""

from __future__ import annotations

import pytest

from core.qa.answerer import KnowledgeBase
from core.qa.models import QaPair

PAIRS = [
    QaPair(id="gz", question="广州市失业保险金怎么申领？", answer="广州市参保人员可在穗好办APP申领失业保险金。"),
    QaPair(id="sz", question="深圳市失业保险金怎么申领？", answer="深圳市参保人员可在i深圳APP申领失业保险金。"),
    QaPair(id="sh", question="上海市失业保险金怎么申领？", answer="上海市参保人员可在随申办APP申领失业保险金。"),
    QaPair(id="local", question="本市居住证怎么办理？", answer="持身份证和住所证明到居住地派出所办理。"),
    QaPair(id="sz-jzz", question="深圳市居住证怎么办理？", answer="深圳市居住证在i深圳APP申办。"),
]


def kb(home: str | None) -> KnowledgeBase:
    base = KnowledgeBase(home_place=home)
    base.load(PAIRS)
    return base


@pytest.mark.parametrize("question", ["本市失业保险金怎么申领", "我市失业保险金咋领", "咱们这儿失业保险金怎么申领"])
def test_a_question_saying_this_city_gets_the_home_citys_pair(question: str) -> None:
    assert kb("广州市").reply(question).best_id == "gz"
    assert kb("深圳").reply(question).best_id == "sz"


@pytest.mark.parametrize(("home", "expected"), [("广州", "gz"), ("深圳市", "sz"), ("上海市", "sh")])
def test_each_home_city_wins_its_own_this_city_question(home: str, expected: str) -> None:
    assert kb(home).reply("本市失业保险金怎么申领").best_id == expected


def test_a_question_without_this_city_words_is_not_given_the_home_place() -> None:
    plain = kb(None).rank("失业保险金怎么申领", 3)
    assert kb("广州").rank("失业保险金怎么申领", 3) == plain


def test_a_question_naming_another_city_keeps_it() -> None:
    assert kb("广州").reply("深圳失业保险金怎么申领").best_id == "sz"


def test_a_stored_this_city_pair_still_answers_and_other_cities_yield() -> None:
    assert kb("广州").reply("本市居住证怎么办理").best_id == "local"


def test_the_service_keeps_the_knowledge_base_it_is_given_even_while_empty() -> None:
    from typing import Any, cast

    from core.qa.service import QaService

    empty = KnowledgeBase(home_place="广州")  # no pairs yet: len 0, so falsy
    assert QaService(cast(Any, None), kb=empty).kb is empty
