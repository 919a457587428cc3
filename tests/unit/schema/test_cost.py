"""Query cost as the schema computes it: aliases, fragments, variables and page sizes counted, before any resolver."""

from __future__ import annotations

import pytest
from graphql import parse
from strawberry.extensions import validation_cache

from core.settings import Settings
from schema import QUERY_CACHE_SIZE, build_schema
from schema.context import Context
from schema.cost import FIELD_COSTS, document_cost
from tests.unit.api.fakes import FakePool, services

SCHEMA = build_schema()


def cost(query: str, variables: dict[str, object] | None = None) -> int:
    return document_cost(SCHEMA._schema, parse(query), None, variables)


def aliases(body: str, n: int = 30) -> str:
    return "{ " + " ".join(f"a{i}: {body}" for i in range(n)) + " }"


def test_lists_multiply_by_their_page_size_and_aliases_add_up() -> None:
    one = cost("{ policies(pageSize: 100) { items { relatedServices { url } } } }")
    assert one == FIELD_COSTS["Query.policies"] + 1 + 100 * (FIELD_COSTS["Policy.relatedServices"] + 0)
    assert cost(aliases("policies(pageSize: 100) { items { relatedServices { url } } }")) == 30 * one
    default = cost("{ policies { items { relatedServices { url } } } }")
    assert default == FIELD_COSTS["Query.policies"] + 1 + 20 * FIELD_COSTS["Policy.relatedServices"], "pageSize 20"


def test_variables_defaults_and_fragments_are_counted() -> None:
    q = (
        "query($n: Int = 100) { ...F }"
        " fragment F on Query { policies(pageSize: $n) { items { relatedServices { url } } } }"
    )
    assert cost(q) == cost(q, {"n": 100}) > cost(q, {"n": 5})
    twice = "query { ...F ...F } fragment F on Query { a: inventoryComparison { items { siteId } } }"
    assert cost(twice) == 2 * (FIELD_COSTS["Query.inventoryComparison"] + 1)
    inline = '{ ... on Query { search(query: "x") { facets { field } scenes { key } } } }'
    assert cost(inline) == sum(FIELD_COSTS[k] for k in ("Query.search", "SearchResult.facets", "SearchResult.scenes"))


def test_a_size_given_as_a_float_null_or_text_is_not_cheaper_than_the_largest_page() -> None:
    # GraphQL coerces 100.0 to the Int 100, so the resolvers would serve 100 items: the cost must say so.
    q = "query($n: Int) { policies(pageSize: $n) { items { relatedServices { url } } } }"
    full = cost(q, {"n": 100})
    assert cost(q, {"n": 100.0}) == full
    assert cost(q, {"n": None}) == cost(q, {"n": "100"}) == full, "unreadable sizes count as a full page"
    assert cost(q, {"n": 5.0}) == cost(q, {"n": 5}) < full


def test_a_full_page_of_policies_with_their_services_fits_the_default_budget() -> None:
    one = cost("{ policies(pageSize: 100) { items { relatedServices { url } } } }")
    assert one <= Settings().max_query_cost < 30 * one


def test_cheap_fields_cost_little() -> None:
    assert cost("{ __typename }") == 0
    assert cost("{ sites { id name } }") == 1
    assert cost("{ synonyms(pageSize: 100) { total items { colloquial official } } }") == 1 + 1


async def test_an_expensive_query_is_refused_with_its_code_and_validation_stays_cached() -> None:
    schema = build_schema(Settings(max_query_cost=250))
    query = aliases("inventoryComparison { items { siteId } }", 3)
    cache = validation_cache._get_validate_cache(QUERY_CACHE_SIZE)
    hits = cache.cache_info().hits
    for _ in range(2):
        pool = FakePool()
        result = await schema.execute(query, context_value=Context(services=services(pool=pool)))
        assert result.data is None and result.errors
        [error] = result.errors
        assert error.extensions == {"code": "QUERY_TOO_EXPENSIVE"}
        assert "would cost 303, over the budget of 250" in error.message
        assert pool.counts == 0, "nothing ran"
    assert cache.cache_info().hits > hits, "the second request's validation came from the cache"


@pytest.mark.parametrize("size", [1, 5])
async def test_a_query_within_the_budget_runs(size: int) -> None:
    schema = build_schema(Settings(max_query_cost=1000))
    result = await schema.execute(aliases("__typename", size), context_value=Context(services=services()))
    assert result.errors is None and result.data == {f"a{i}": "Query" for i in range(size)}
