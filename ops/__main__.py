"""`python -m ops …` is the `yiwang` command (used to start child processes with the same interpreter)."""

from ops.cli import main

if __name__ == "__main__":  # worker processes of a multiprocessing pool import this module too
    main()
