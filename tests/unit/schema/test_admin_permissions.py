"""Every mutation is for admins unless it is listed here as public: a new mutation is closed by default."""

from __future__ import annotations

from schema import build_schema
from schema.permissions import IsAdmin

PUBLIC_MUTATIONS = {"recordClick"}  # what a citizen's browser sends


def test_every_mutation_but_the_public_ones_needs_the_admin_token() -> None:
    schema = build_schema()
    mutation = schema.schema_converter.type_map["Mutation"].definition
    names = schema.config.name_converter
    needs_admin = {names.get_graphql_name(f): IsAdmin in f.permission_classes for f in mutation.fields}
    assert len(needs_admin) >= 17
    assert {name for name, admin in needs_admin.items() if not admin} == PUBLIC_MUTATIONS
