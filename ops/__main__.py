"""`python -m ops …` is the `yiwang` command (used to start child processes with the same interpreter)."""

from ops.cli import main

main()
