"""Workbooks, DUP documents and pages of many bodies drawn in worker processes, the two cores of the server at once;
the plans of many years made the same way (``computed_each``).

Drawing is pure Python (Altair's specs, the PNG of the matrix, xlsxwriter, python-docx: about a second a body), so
threads would share one core (and once hung inside ``report_workbooks``): the stage reads every table first, then
``render_each`` hands each worker that state once and one body after another. The workers never open the warehouse.
A run of a few bodies (an upload's one) draws in its own process: starting a worker costs more than it saves.
"""

from __future__ import annotations

import multiprocessing
import os
from concurrent.futures import ProcessPoolExecutor

SERIAL_BELOW = 8  # fewer outputs than this: no workers (each takes 2-3 s to start and import)
_job: tuple | None = None  # in a worker: (render, shared)


def workers() -> int:
    """``AREAVASTA_OUTPUT_WORKERS`` (default: the machine's cores, at most 4; 1: no workers)."""
    return int(os.environ.get("AREAVASTA_OUTPUT_WORKERS") or min(os.cpu_count() or 1, 4))


def _start(render, shared) -> None:
    global _job
    _job = (render, shared)


def _one(combo):
    render, shared = _job
    return render(shared, combo)


def render_each(render, shared, combos: list) -> list:
    """``render(shared, combo)`` for every combo, in order, its results joined; ``render`` a module-level function,
    ``shared`` picklable (frames, settings)."""
    count = workers()
    if count < 2 or len(combos) < SERIAL_BELOW:
        return [result for combo in combos for result in render(shared, combo)]
    chunk = max(1, len(combos) // (count * 4))
    context = multiprocessing.get_context("spawn")  # never fork a process holding DuckDB's and polars' threads
    with ProcessPoolExecutor(count, mp_context=context, initializer=_start, initargs=(render, shared)) as pool:
        return [result for results in pool.map(_one, combos, chunksize=chunk) for result in results]


def computed_each(compute, shared, items: list, serial_below: int = SERIAL_BELOW):
    """``compute(shared, item)`` for each item, yielded in order as the workers finish them (the caller stores each
    before the next arrives: a few are held at a time, not all); in this process below ``serial_below`` items."""
    count = min(workers(), len(items))
    if count < 2 or len(items) < serial_below:
        yield from (compute(shared, item) for item in items)
        return
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(count, mp_context=context, initializer=_start, initargs=(compute, shared)) as pool:
        yield from pool.map(_one, items)
