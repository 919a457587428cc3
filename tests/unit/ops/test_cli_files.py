"""Files named on the command line are checked before any work: one clear line and exit code 2, no traceback."""

from __future__ import annotations

from pathlib import Path

import pytest

from ops.cli import main


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str]:
    with pytest.raises(SystemExit) as exit_info:
        main(list(argv))
    code = exit_info.value.code
    return int(code) if isinstance(code, int) else 1, capsys.readouterr().err


@pytest.mark.parametrize("command", [("import",), ("import", "--kind", "qa"), ("extract",), ("disclosure", "import")])
def test_what_a_command_reads_must_be_a_readable_file(
    command: tuple[str, ...], tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DATA_DIR", str(tmp_path / "data"))  # nothing running there: the file is checked first
    code, err = run(capsys, *command, str(tmp_path / "missing.jsonl"))
    assert code == 2 and f"no such file: {tmp_path / 'missing.jsonl'}" in err
    code, err = run(capsys, *command, str(tmp_path))
    assert code == 2 and f"{tmp_path} is a directory: name a file" in err
    code, err = run(capsys, *command, "/dev/null")
    assert code == 2 and "/dev/null is not a regular file" in err
    assert "Traceback" not in err
    assert not (tmp_path / "data" / "services").exists(), "no service was started for a bad file"


def test_a_report_is_not_written_over_a_folder_or_into_nowhere(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DATA_DIR", str(tmp_path / "data"))
    code, err = run(capsys, "report", "demo-portal", "--output", str(tmp_path))
    assert code == 2 and f"{tmp_path} is a directory: name the file to write" in err
    blocker = tmp_path / "a-file"
    blocker.write_text("x", "utf-8")
    code, err = run(capsys, "report", "demo-portal", "--output", str(blocker / "report.html"))
    assert code == 2 and f"cannot write {blocker / 'report.html'}: cannot create its folder" in err
    assert "Traceback" not in err


@pytest.mark.parametrize("kind", ["document", "qa"])
def test_an_import_of_a_file_with_nothing_in_it_says_so(
    kind: str, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DATA_DIR", str(tmp_path / "data"))  # nothing running there: the file is checked first
    empty = tmp_path / "empty.jsonl"
    empty.write_bytes(b"")
    code, err = run(capsys, "import", "--kind", kind, str(empty))
    assert code == 2 and f"yiwang: {empty} is empty: nothing to import" in err
    blank = tmp_path / "blank.jsonl"
    blank.write_bytes(b"\n  \r\n\xef\xbb\xbf\n\t\n")  # what an editor leaves: newlines, spaces, a byte-order mark
    code, err = run(capsys, "import", "--kind", kind, str(blank))
    assert code == 2 and f"yiwang: {blank} has only blank lines (4): nothing to import" in err
    assert "Traceback" not in err
    assert not (tmp_path / "data" / "services").exists(), "no service was started for a file with nothing in it"


@pytest.mark.parametrize(
    ("option", "says"),
    [
        (("--batch", "0"), "argument --batch: must be 1 or more, not 0"),
        (("--batch", "ten"), "argument --batch: 'ten' is not a whole number"),
        (("--wait-timeout", "-5"), "argument --wait-timeout: must be a number of seconds above 0, not -5"),
        (("--wait-timeout", "nan"), "argument --wait-timeout: must be a number of seconds above 0, not nan"),
    ],
)
def test_import_options_out_of_range_are_refused(
    option: tuple[str, ...], says: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "docs.jsonl"
    path.write_text('{"url": "https://a.example.gov.cn/1.html", "title": "通知", "text": "正文"}\n', "utf-8")
    code, err = run(capsys, "import", *option, str(path))
    assert code == 2 and says in err
