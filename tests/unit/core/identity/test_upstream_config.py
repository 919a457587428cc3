"""IDENTITY_UPSTREAMS: what a configuration may say, the errors that name what to fix, and the claim mapping."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from core.errors import Invalid
from core.identity.upstream import local_username
from core.identity.upstream_config import ClaimMap, claim, configured, level_of, login_links, parse_upstreams
from core.settings import Settings

PROVINCE = {"name": "province", "issuer": "https://sso.henan.example/", "client_id": "yw", "client_secret": "s3"}
LEGACY = {
    "name": "card",
    "kind": "oauth2",
    "label": "使用市民卡账号登录",
    "authorization_endpoint": "https://card.example/oauth/authorize",
    "token_endpoint": "https://card.example/oauth/token",
    "userinfo_endpoint": "https://card.example/api/me",
    "client_id": "yw",
    "client_secret": "s3",
    "token_endpoint_auth_method": "client_secret_post",
    "scopes": "user_info",
    "claims": {"subject": "data.userId", "name": "data.realName", "id_number": "data.certNo"},
}


def test_an_oidc_and_an_oauth2_upstream_with_their_defaults() -> None:
    province, card = parse_upstreams(json.dumps([PROVINCE, LEGACY]))
    assert province.kind == "oidc" and province.issuer == "https://sso.henan.example"  # trailing slash dropped
    assert province.label == "使用省统一身份认证平台登录" and province.scopes == ("openid", "profile")
    assert province.token_endpoint_auth_method == "client_secret_basic" and province.claims == ClaimMap()
    assert "s3" not in repr(province), "the client secret stays out of reprs and logs"
    assert card.kind == "oauth2" and card.issuer is None and card.scopes == ("user_info",)
    assert card.claims.subject == "data.userId" and card.claims.real_name_level == "real_name_level"
    assert card.token_endpoint_auth_method == "client_secret_post"


def test_a_public_upstream_client_and_openid_always_asked_of_an_oidc_upstream() -> None:
    (public,) = parse_upstreams(json.dumps([PROVINCE | {"client_secret": None, "scopes": ["profile"]}]))
    assert public.token_endpoint_auth_method == "none" and public.scopes == ("openid", "profile")


def test_a_yaml_or_json_file_holds_the_list(tmp_path: Path) -> None:
    yaml_file = tmp_path / "upstreams.yaml"
    yaml_file.write_text(
        "upstreams:\n  - name: province\n    issuer: https://sso.henan.example\n    client_id: yw\n"
        "    client_secret: s3\n    claims: {real_name_level: auth_level}\n",
        encoding="utf-8",
    )
    (province,) = parse_upstreams(str(yaml_file))
    assert province.claims.real_name_level == "auth_level"
    json_file = tmp_path / "upstreams.json"
    json_file.write_text(json.dumps([LEGACY]), encoding="utf-8")
    assert parse_upstreams(str(json_file))[0].name == "card"
    assert parse_upstreams("") == ()


@pytest.mark.parametrize(
    ("raw", "says"),
    [
        ("[{", "not valid JSON"),
        ("/nonexistent/upstreams.yaml", "cannot read"),
        (json.dumps({"name": "x"}), "must be a list"),
        (json.dumps([PROVINCE | {"clientid": "typo"}]), "unknown keys clientid"),
        (json.dumps([PROVINCE | {"name": "Province!"}]), ".name must be"),
        (json.dumps([PROVINCE | {"kind": "saml"}]), "kind must be oidc or oauth2"),
        (json.dumps([PROVINCE | {"issuer": "sso.henan.example"}]), "issuer must be an absolute http(s) URL"),
        (json.dumps([{k: v for k, v in LEGACY.items() if k != "token_endpoint"}]), "needs token_endpoint"),
        (json.dumps([LEGACY | {"issuer": "https://card.example"}]), "has no issuer"),
        (json.dumps([PROVINCE, PROVINCE]), "same name"),
        (json.dumps([{k: v for k, v in PROVINCE.items() if k != "client_id"}]), "client_id is required"),
        (json.dumps([PROVINCE | {"token_endpoint_auth_method": "none"}]), "must fit the client secret"),
        (json.dumps([PROVINCE | {"claims": {"subjekt": "sub"}}]), ".claims must be an object"),
        (json.dumps([PROVINCE | {"claims": {"subject": None}}]), "cannot be null"),
        (json.dumps([PROVINCE | {"link_min_level": 5}]), "link_min_level must be 0-3"),
        (json.dumps([PROVINCE | {"scopes": [1]}]), "scopes must be a list"),
    ],
)
def test_a_bad_configuration_says_what_to_fix(raw: str, says: str) -> None:
    with pytest.raises(Invalid, match="IDENTITY_UPSTREAMS") as caught:
        parse_upstreams(raw)
    assert says in caught.value.message


def test_a_bad_yaml_file_is_named(tmp_path: Path) -> None:
    bad = tmp_path / "up.yml"
    bad.write_text("- name: [unclosed\n", encoding="utf-8")
    with pytest.raises(Invalid, match="not valid YAML"):
        parse_upstreams(str(bad))


def test_the_login_page_links_carry_the_sites_request() -> None:
    settings = Settings(identity_upstreams=json.dumps([PROVINCE, LEGACY]))
    links = login_links(settings, {"client_id": "portal", "state": "a&b"})
    assert links == [
        {"label": "使用省统一身份认证平台登录", "url": "/oidc/upstream/province?client_id=portal&state=a%26b"},
        {"label": "使用市民卡账号登录", "url": "/oidc/upstream/card?client_id=portal&state=a%26b"},
    ]
    assert login_links(Settings(), {}) == [] and configured(Settings()) == {}


def test_the_settings_mask_the_upstreams_which_hold_client_secrets() -> None:
    settings = Settings(identity_upstreams=json.dumps([PROVINCE]))
    assert settings.describe()["IDENTITY_UPSTREAMS"] == "****" and "s3" not in repr(settings)
    with pytest.raises(Invalid, match="UPSTREAM_TIMEOUT_S"):
        Settings(upstream_timeout_s=0).validate()


def test_claims_at_dotted_paths_and_levels_clamped() -> None:
    claims = {"sub": "7", "data": {"certNo": "X", "level": "2"}, "flat": 1}
    assert claim(claims, "data.certNo") == "X" and claim(claims, "data.missing") is None
    assert claim(claims, "flat.deeper") is None and claim(claims, None) is None
    cases = {3: 3, "2": 2, 7: 3, -1: 0, "L3": 0, None: 0, True: 0, 2.5: 0, " 1 ": 1}
    for value, level in cases.items():
        assert level_of(value) == level, value


def test_a_created_accounts_username_is_stable_and_says_nothing_about_the_person() -> None:
    (province,) = parse_upstreams(json.dumps([PROVINCE]))
    name = local_username(province, "41010519800101123X")
    assert name == local_username(province, "41010519800101123X") and name.startswith("province.")
    assert "41010519800101123X" not in name and len(name) <= 64
