"""Every mutation of the schema checks a role unless it is listed here: a new mutation is closed by default."""

from __future__ import annotations

from typing import Any

from schema import build_schema
from schema.disclosure import IsUnitEditor
from schema.opendata_interaction import IsDataRequestReplier
from schema.permissions import IsAdmin, IsSiteEditor, role_checks

PUBLIC_MUTATIONS = {"recordClick"}  # what a citizen's browser sends, signed in or not
# The user space's own mutations: they act for the signed-in caller and check who calls in their resolvers
# (UNAUTHENTICATED when anonymous; a replier's role for the letter's department). The integration test
# tests/integration/test_roles_coverage.py calls each anonymously.
# the last two: docs/disclosure.md (a person's own request and ballot)
USER_MUTATIONS = {"submitLetter", "replyLetter", "submitDisclosureRequest", "castDisclosureVote"}
USER_MUTATIONS |= {"submitDataRequest"}  # open data's 数据需求: docs/opendata.md
USER_MUTATIONS |= {"submitConsultationComment"}  # a person's own comment on a consultation: docs/engagement.md
# a resident's own subscriptions, letters to a unit's mailbox and complaints about an item: docs/disclosure.md
USER_MUTATIONS |= {"subscribeDisclosure", "unsubscribeDisclosure", "writeUnitMailbox", "complainDisclosureItem"}
# Mutations that act on the one site their `site` argument names: that site's editors may call them.
SITE_MUTATIONS = {"crawlSite", "runInspection", "setColumnType"}
# 电视问政 and consultations (docs/engagement.md): the site's editors act on what belongs to the `site` they name.
SITE_MUTATIONS |= {"addEpisode", "confirmCommitment", "updateCommitment"}
SITE_MUTATIONS |= {"openConsultation", "moderateComment", "publishFeedbackReport"}
# Grassroots disclosure: mutations on the one unit their `unit` argument names (editors of that unit's site).
UNIT_MUTATIONS = {
    "uploadVoucher",
    "createDisclosureItem",
    "editDisclosureItem",
    "publishDisclosureItem",
    "saveFundProject",
    "moveFundStage",
    "deleteFundProject",
    "addFundSpending",
    "extendDisclosureRequest",
    "answerDisclosureRequest",
    "createDisclosureVote",
    "saveUnitService",
    "deleteUnitService",
}
# Open data's 数据需求: replied to by a replier of the request's department (docs/opendata.md).
REPLIER_MUTATIONS = {"replyDataRequest"}
ADMIN_QUERIES = {"suggestionCandidates", "qaSyncRuns"}  # qaSyncRuns: docs/qa-connectors.md


def fields_of(type_name: str) -> dict[str, Any]:
    schema = build_schema()
    root = schema.schema_converter.type_map[type_name].definition
    names = schema.config.name_converter
    return {names.get_graphql_name(f): f for f in root.fields}


def test_every_mutation_but_the_listed_ones_checks_a_role() -> None:
    mutations = fields_of("Mutation")
    unguarded = {name for name, f in mutations.items() if not role_checks(f.permission_classes)}
    assert len(mutations) >= 17
    assert unguarded == PUBLIC_MUTATIONS | USER_MUTATIONS, (
        "a mutation without a role check: give it permission_classes=ADMIN or SITE_EDITOR (schema.permissions), "
        "or list it here with the reason it is open"
    )


def test_site_scoped_mutations_take_a_site_and_everything_else_is_for_admins() -> None:
    mutations = fields_of("Mutation")
    for name, f in mutations.items():
        checks = role_checks(f.permission_classes)
        if name in SITE_MUTATIONS:
            assert checks == [IsSiteEditor], name
            assert "site" in {a.python_name for a in f.arguments}, f"{name} is site-scoped but takes no site"
        elif name in UNIT_MUTATIONS:
            assert checks == [IsUnitEditor], name
            assert "unit" in {a.python_name for a in f.arguments}, f"{name} is unit-scoped but takes no unit"
        elif name in REPLIER_MUTATIONS:
            assert checks == [IsDataRequestReplier], name
            assert "id" in {a.python_name for a in f.arguments}, f"{name} is department-scoped but takes no id"
        elif checks:
            assert checks == [IsAdmin], name


def test_admin_queries_stay_admin_and_public_reads_stay_public() -> None:
    queries = fields_of("Query")
    guarded = {name for name, f in queries.items() if role_checks(f.permission_classes)}
    assert guarded >= ADMIN_QUERIES
    assert guarded - ADMIN_QUERIES <= {"auditTrail"}, f"queries newly closed: {guarded - ADMIN_QUERIES}"
    assert {"sites", "search", "synonyms", "policies", "inventory", "ask"} <= set(queries) - guarded
