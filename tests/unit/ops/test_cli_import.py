"""`yiwang import --kind qa` before the Q&A importer exists: a clear message, no stack trace."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

from ops.cli import main


def test_qa_import_says_it_is_not_available(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    if importlib.util.find_spec("core.qa.importer") is not None:
        pytest.skip("the Q&A importer is installed")
    with pytest.raises(SystemExit) as exited:
        main(["import", "--kind", "qa", str(tmp_path / "faq.jsonl")])
    assert exited.value.code == 2
    assert "--kind qa is not available in this version" in capsys.readouterr().err
