"""The files a command is told to read or write, checked before any work starts, each refusal in one line."""

from __future__ import annotations

import os
from pathlib import Path

from core.errors import Invalid, NotFound

__all__ = ["input_file", "output_file"]


def input_file(name: str | Path) -> Path:
    """The regular, readable file at `name`; a missing path, a directory, a device or a pipe is refused."""
    path = Path(name)
    if not path.exists():
        raise NotFound(f"no such file: {path}")
    if path.is_dir():
        raise Invalid(f"{path} is a directory: name a file")
    if not path.is_file():
        raise Invalid(f"{path} is not a regular file (a device, pipe or socket): save what it holds to a file first")
    if not os.access(path, os.R_OK):
        raise Invalid(f"cannot read {path}: permission denied")
    return path


def output_file(name: str | Path) -> Path:
    """`name` as a file this command may write (its folder is created); refused before any work is done."""
    path = Path(name)
    if path.is_dir():
        raise Invalid(f"{path} is a directory: name the file to write")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise Invalid(f"cannot write {path}: cannot create its folder ({exc.strerror})") from exc
    if not path.parent.is_dir():
        raise Invalid(f"cannot write {path}: {path.parent} is not a folder")
    target = path if path.exists() else path.parent
    if not os.access(target, os.W_OK):
        raise Invalid(f"cannot write {path}: permission denied")
    return path
