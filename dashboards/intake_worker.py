"""Uploads checked in worker processes, never in the portal's own.

Why a process and not a thread: the spreadsheet parser's native calls hold the interpreter lock for seconds on the
largest file the limits allow (the arrow conversion of a 3-million-cell sheet: about 2 s), and every other user's
request would wait for them. A worker also bounds the memory one check may take (its address space,
``AREAVASTA_INTAKE_MEMORY_MB``), hands it back to the system when it is recycled, and if the parser crashes or runs out
of memory, only the worker dies, not the portal.

``AREAVASTA_INTAKE_WORKERS`` sets the number of workers (default 2); ``0`` checks in the portal's thread pool instead
(the test suite's default, so that tests may patch what the check calls).
"""

from __future__ import annotations

import asyncio
import functools
import multiprocessing
import os
import threading
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool

from starlette.concurrency import run_in_threadpool

DEFAULT_WORKERS = 2
DEFAULT_MEMORY_MB = 4096  # address space, not resident memory: the parser reserves far more than it touches
TASKS_PER_WORKER = 50  # then the worker is replaced, and whatever memory it kept goes back to the system


class IntakeFailed(Exception):
    """The worker died or ran out of memory while checking a file: the file is refused, the portal goes on."""


_pool: ProcessPoolExecutor | None = None
_pool_key: tuple | None = None
_lock = threading.Lock()


def workers() -> int:
    return int(os.environ.get("AREAVASTA_INTAKE_WORKERS", DEFAULT_WORKERS))


def memory_mb() -> int:
    return int(os.environ.get("AREAVASTA_INTAKE_MEMORY_MB", DEFAULT_MEMORY_MB))


def _prepare(limit_mb: int) -> None:
    """In each new worker: the memory bound, and the checking code imported once (not at the first file)."""
    import resource

    limit = limit_mb * 2**20
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    import sources.intake  # noqa: F401


def _call(environment: dict[str, str], function, args: tuple, kwargs: dict):
    """Run in the worker with the portal's ``AREAVASTA_*`` settings of the moment (a worker outlives a change)."""
    for key in [k for k in os.environ if k.startswith("AREAVASTA_") and k not in environment]:
        del os.environ[key]
    os.environ.update(environment)
    return function(*args, **kwargs)


def _executor() -> ProcessPoolExecutor:
    global _pool, _pool_key
    key = (workers(), memory_mb())
    with _lock:
        if _pool is None or _pool_key != key:
            if _pool is not None:
                _pool.shutdown(wait=False, cancel_futures=False)
            _pool = ProcessPoolExecutor(
                max_workers=key[0],
                mp_context=multiprocessing.get_context("spawn"),
                initializer=_prepare,
                initargs=(key[1],),
                max_tasks_per_child=TASKS_PER_WORKER,
            )
            _pool_key = key
        return _pool


def _discard(broken: ProcessPoolExecutor) -> None:
    global _pool
    with _lock:
        if _pool is broken:
            _pool = None
    broken.shutdown(wait=False, cancel_futures=True)


async def run(function, *args, **kwargs):
    """``function(*args, **kwargs)`` in a worker process (or the thread pool when workers are 0); raises
    :class:`IntakeFailed` when the worker died or ran out of memory. ``function`` and its arguments travel by pickle."""
    if workers() == 0:
        return await run_in_threadpool(function, *args, **kwargs)
    environment = {k: v for k, v in os.environ.items() if k.startswith("AREAVASTA_")}
    pool = _executor()
    try:
        return await asyncio.get_running_loop().run_in_executor(
            pool, functools.partial(_call, environment, function, args, kwargs)
        )
    except BrokenProcessPool as exc:
        _discard(pool)
        raise IntakeFailed("il processo di controllo si è interrotto") from exc
    except MemoryError as exc:
        raise IntakeFailed(f"memoria esaurita oltre {memory_mb()} MB") from exc


def warm(timeout: float = 120) -> None:
    """Start the workers now and wait for them (the portal's start), so that the first uploads do not wait for them."""
    if workers() > 0:
        pool = _executor()
        started = [pool.submit(os.getpid) for _ in range(workers())]
        for future in started:
            future.result(timeout=timeout)


def receive_for_portal(*args, **kwargs):
    """``sources.intake.receive`` as the portal's upload needs it: the validated lines stay in the worker (kept beside
    the receipt for the sensor); the findings, the layout and the receipt travel back."""
    from sources.intake import receive

    result, receipt = receive(*args, **kwargs)
    result.release()
    return result, receipt


def refused(path, name: str):
    """The dry run of a file whose check failed in its worker: refused, with a finding that says why in words."""
    from sources import archive
    from sources.findings import Finding
    from sources.intake import Validation
    from sources.model import empty_budget_lines

    return Validation(
        name,
        archive.sha256_of(path),
        None,
        None,
        empty_budget_lines(),
        [Finding("FILE_TOO_DEMANDING", file=name, params={"limit_mb": memory_mb()})],
    )


def shutdown() -> None:
    """Stop the workers (the portal's shutdown)."""
    global _pool
    with _lock:
        pool, _pool = _pool, None
    if pool is not None:
        pool.shutdown(wait=True, cancel_futures=True)
