"""Reading CKAN requests: package_search parameters and package dictionaries, errors field by field."""

from __future__ import annotations

import json
from typing import Any

import pytest

from core.opendata.checks import check_dataset
from core.opendata.models import Dataset, Organization, Resource
from core.opendata.params import SearchQueryError, ValidationError
from core.opendata.search import read_query


def test_package_search_parameters() -> None:
    q = read_query(
        {"q": "公交 organization:jtj", "fq": '+tags:"公交 线路" -res_format:PDF groups:(a OR b)', "rows": "5000"},
        is_admin=False,
    )
    assert q.text == "公交" and q.rows == 1000
    assert q.filters == [
        (False, "organization", "jtj"),
        (False, "tags", "公交 线路"),
        (True, "res_format", "PDF"),
        (False, "groups", ["a", "b"]),
    ]
    assert read_query({"include_private": "true"}, is_admin=False).include_private is False
    assert read_query({"facet.field": '["organization"]'}, is_admin=True).facets == ["organization"]
    assert read_query({"q": "时间 12:30"}, is_admin=False).text == "时间 12:30"


@pytest.mark.parametrize(
    ("params", "error", "field"),
    [
        ({"rows": "ten"}, ValidationError, "rows"),
        ({"start": -1}, ValidationError, "start"),
        ({"rows": True}, ValidationError, "rows"),
        ({"include_private": "maybe"}, ValidationError, "include_private"),
        ({"facet.field": "[not json"}, ValidationError, "facet.field"),
        ({"ext_bbox": "1,2,3"}, ValidationError, "ext_bbox"),
        ({"fq": "colour:red"}, SearchQueryError, None),
        ({"sort": "name sideways"}, SearchQueryError, None),
        ({"facet.field": '["colour"]'}, SearchQueryError, None),
    ],
)
def test_package_search_errors(params: dict[str, Any], error: type[Exception], field: str | None) -> None:
    with pytest.raises(error) as caught:
        read_query(params, is_admin=False)
    if field is not None:
        assert isinstance(caught.value, ValidationError) and field in caught.value.fields


def test_package_dictionary_checked() -> None:
    checked = check_dataset(
        {"name": "a-b", "owner_org": "x", "tags": ["t", {"name": "t"}], "extras": [{"key": "k", "value": 1}]},
        creating=True,
    )
    assert checked.values["tags"] == ["t"] and checked.values["extras"] == {"k": "1"}
    assert checked.values["title"] == "a-b" and checked.owner_org == "x"
    with pytest.raises(ValidationError) as caught:
        check_dataset({"name": "A B", "resources": [{"url": "ftp://x"}]}, creating=True)
    assert set(caught.value.fields) == {"name", "owner_org", "resources"}


@pytest.mark.corpus
def test_a_real_ckan_package_is_accepted(corpus: Any) -> None:
    """HDX's package_show payload (hdx-ckan-fixtures) is what a harvested portal sends: it must check."""
    pkg = json.loads((corpus / "hdx-ckan-fixtures" / "unesco_dataset.json").read_text(encoding="utf-8"))
    checked = check_dataset({**pkg, "extras": pkg.get("extras", [])}, creating=True)
    assert checked.values["name"] == pkg["name"] and len(checked.resources or []) == len(pkg["resources"])
    assert checked.values["tags"] == [t["name"] for t in pkg["tags"]]


@pytest.mark.corpus
def test_our_package_dict_has_ckans_keys(corpus: Any) -> None:
    pkg = json.loads((corpus / "hdx-ckan-fixtures" / "unesco_dataset.json").read_text(encoding="utf-8"))
    org = Organization(id="o", name="o", title="部门")
    ours = Dataset(
        id="d",
        name="d",
        title="数据",
        organization=org,
        resources=(Resource(id="r", dataset_id="d", position=0, name="n", url="u"),),
    ).as_ckan()
    core = {
        "id",
        "name",
        "title",
        "notes",
        "owner_org",
        "organization",
        "groups",
        "tags",
        "resources",
        "private",
        "state",
        "type",
        "license_id",
        "license_title",
        "metadata_created",
        "metadata_modified",
        "num_resources",
        "num_tags",
        "maintainer",
        "maintainer_email",
        "version",
        "url",
        "relationships_as_object",
    }
    assert core <= set(pkg) and core <= set(ours)
    shared = set(pkg["resources"][0]) & set(ours["resources"][0])
    assert {"id", "package_id", "name", "format", "url", "position", "hash", "size", "last_modified"} <= shared
