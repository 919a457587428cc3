"""Every mutation of the live schema is closed to callers without its role: each is called for real, anonymously
and by a signed-in person with no role, with arguments of the right types, and must be refused and audited."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import asyncpg
import pytest
from graphql import (
    GraphQLEnumType,
    GraphQLInputObjectType,
    GraphQLInputType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLScalarType,
)

from core.settings import Settings
from schema import build_schema
from schema.permissions import role_checks
from tests.integration.graphql import gql
from tests.integration.roles_fixtures import RolesWorld, audit_rows, code_of, open_world
from tests.unit.schema.test_permissions_schema import PUBLIC_MUTATIONS, USER_MUTATIONS

pytestmark = pytest.mark.integration

SCALARS: dict[str, Any] = {
    "String": "x",
    "ID": "x",
    "Int": 1,
    "Float": 1.0,
    "Boolean": False,
    "DateTime": "2031-01-01T00:00:00+00:00",
    "Date": "2031-01-01",
    "JSON": {},
}


@pytest.fixture(scope="module")
async def world(settings: Settings, pg_pool: asyncpg.Pool) -> AsyncIterator[RolesWorld]:
    async with open_world(settings, pg_pool) as opened:
        yield opened


def sample(kind: GraphQLInputType) -> Any:
    """A value of the type: what a client could send, so the call reaches the permission check."""
    if isinstance(kind, GraphQLNonNull):
        return sample(kind.of_type)
    if isinstance(kind, GraphQLList):
        return []
    if isinstance(kind, GraphQLEnumType):
        return next(iter(kind.values))
    if isinstance(kind, GraphQLInputObjectType):
        return {n: sample(f.type) for n, f in kind.fields.items() if isinstance(f.type, GraphQLNonNull)}
    assert isinstance(kind, GraphQLScalarType) and kind.name in SCALARS, f"no sample for {kind}"
    return SCALARS[kind.name]


def calls() -> dict[str, tuple[str, dict[str, Any]]]:
    """Each mutation's name → a document calling it with every argument, and its variables."""
    built = build_schema()
    mutation = built._schema.mutation_type
    assert mutation is not None
    found = {}
    for name, field in mutation.fields.items():
        params = ", ".join(f"${a}: {arg.type}" for a, arg in field.args.items())
        passed = ", ".join(f"{a}: ${a}" for a in field.args)
        call = f"{name}({passed})" if passed else name
        head = f"mutation({params})" if params else "mutation"
        selection = " { __typename }" if _object(field.type) else ""
        document = f"{head} {{ {call}{selection} }}"
        found[name] = (document, {a: sample(arg.type) for a, arg in field.args.items()})
    return found


def _object(kind: Any) -> bool:
    while hasattr(kind, "of_type"):
        kind = kind.of_type
    return not isinstance(kind, GraphQLScalarType | GraphQLEnumType)


def guarded() -> set[str]:
    built = build_schema()
    mutation = built.schema_converter.type_map["Mutation"].definition
    names = built.config.name_converter
    return {names.get_graphql_name(f) for f in mutation.fields if role_checks(f.permission_classes)}


async def test_every_guarded_mutation_refuses_anonymous_and_role_less_callers_and_audits_it(
    world: RolesWorld, pg_pool: asyncpg.Pool
) -> None:
    every, closed = calls(), guarded()
    assert closed == set(every) - PUBLIC_MUTATIONS - USER_MUTATIONS and len(closed) >= 17
    for name in sorted(closed):
        document, variables = every[name]
        anonymous = await gql(world.url, document, variables, token=None)
        assert code_of(anonymous) == "UNAUTHENTICATED", (name, anonymous)
        signed_in = await gql(world.url, document, variables, token=world.nobody.token)
        assert code_of(signed_in) == "FORBIDDEN", (name, signed_in)
        assert "needs the role" in signed_in["errors"][0]["message"], name
    refused = {r["operation"] for r in await audit_rows(pg_pool, username=world.nobody.username, outcome="refused")}
    assert refused == closed, f"refused but not audited: {closed - refused}"


async def test_the_user_space_mutations_want_a_signed_in_caller(world: RolesWorld) -> None:
    every = calls()
    for name in sorted(USER_MUTATIONS):
        document, variables = every[name]
        body = await gql(world.url, document, variables, token=None)
        assert code_of(body) == "UNAUTHENTICATED", (name, body)
