"""Tasks for the intake workers' tests (tests/test_intake_worker.py): importable, so that a spawned worker can run
them."""

from __future__ import annotations

import os
import re
import time


def hold_the_interpreter(size: int = 26) -> float:
    """A native call that keeps the interpreter lock throughout (catastrophic backtracking in ``re``), as the
    parser's arrow conversion does on a large sheet; returns its duration."""
    start = time.perf_counter()
    re.fullmatch(r"(a+)+b", "a" * size)
    return time.perf_counter() - start


def allocate(megabytes: int) -> int:
    return len(bytearray(megabytes * 2**20))


def die() -> None:
    os._exit(3)


def pid() -> int:
    return os.getpid()


def setting(name: str) -> str | None:
    return os.environ.get(name)
