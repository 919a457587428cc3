"""`yiwang services status --json` prints JSON only; `services stop` leaves the services of a running `up` alone."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from core.settings import get_settings
from ops.cli import main
from ops.cli.up import hold_data_dir


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    monkeypatch.setenv("DATA_DIR", str(tmp_path))
    get_settings.cache_clear()
    yield tmp_path
    get_settings.cache_clear()


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as done:
        main(["services", *argv])
    out, err = capsys.readouterr()
    return int(done.value.code or 0), out, err


def test_status_as_json_is_one_json_document(data_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "status", "--json")
    assert code == 0
    assert json.loads(out) == {"postgres": None, "nats": None}, "a script reads it with json.loads"


def test_stop_refuses_while_an_up_runs_on_the_data_dir(data_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with hold_data_dir(get_settings()):
        code, out, err = run(capsys, "stop")
    assert code == 2 and out == ""
    assert "yiwang up runs on DATA_DIR" in err and "Ctrl-C" in err and "Traceback" not in err
    code, out, _ = run(capsys, "stop")  # the `up` has ended
    assert code == 0 and "nothing was running" in out
