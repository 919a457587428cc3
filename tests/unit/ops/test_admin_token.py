"""`yiwang up` gives the mesh an admin token: ADMIN_TOKEN if set, else one kept in DATA_DIR, made once."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from core.errors import Invalid
from core.settings import Settings
from ops.up import ADMIN_TOKEN_FILE, SEARCH_ID_KEY_FILE, admin_token, search_id_key


def test_a_token_is_made_once_private_and_kept(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path / "data")
    first = admin_token(settings)
    path = tmp_path / "data" / ADMIN_TOKEN_FILE
    assert len(first) >= 16 and path.read_text().strip() == first
    assert stat.S_IMODE(path.stat().st_mode) == 0o600, "readable by its owner only"
    assert admin_token(settings) == first, "the same token at the next start"
    path.write_text("short\n")
    assert admin_token(settings) not in (first, "short"), "a damaged file is replaced"


def test_the_configured_token_wins_and_is_checked_and_masked(tmp_path: Path) -> None:
    settings = Settings.from_env({"ADMIN_TOKEN": "x" * 20, "DATA_DIR": str(tmp_path)})
    assert admin_token(settings) == "x" * 20 and not (tmp_path / ADMIN_TOKEN_FILE).exists()
    assert settings.describe()["ADMIN_TOKEN"] == "****" and "x" * 20 not in repr(settings)
    with pytest.raises(Invalid, match="ADMIN_TOKEN must be at least 16"):
        Settings.from_env({"ADMIN_TOKEN": "secret"})


def test_a_search_id_key_is_made_once_private_and_kept(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path / "data")
    first = search_id_key(settings)
    path = tmp_path / "data" / SEARCH_ID_KEY_FILE
    assert len(first) >= 32 and path.read_text().strip() == first
    assert stat.S_IMODE(path.stat().st_mode) == 0o600, "readable by its owner only"
    assert search_id_key(settings) == first, "ids signed before a restart still verify"
    configured = Settings.from_env({"SEARCH_ID_KEY": "k" * 20, "DATA_DIR": str(tmp_path / "other")})
    assert search_id_key(configured) == "k" * 20 and configured.describe()["SEARCH_ID_KEY"] == "****"
    with pytest.raises(Invalid, match="SEARCH_ID_KEY must be at least 16"):
        Settings.from_env({"SEARCH_ID_KEY": "short"})
