"""Validate many files as one: each file's validation is written once, as steps; the polars work is batched.

A polars query has a fixed cost of a few hundred microseconds whatever its size, and the per-file
reader engine and domain checks run about twenty of them: on files of a few thousand rows that
fixed cost, not the rows, was most of the ingest time. So ``validate_file`` is written as a
generator (``intake.validate_steps``) that *yields a request* wherever it needs a query that does
not depend on the file alone: "parse these located rows" (``readers.table.ParseRows``), "check these
lines" (``checks.CheckLines``). :func:`drive` runs the generators of many files side by side; it
gathers the requests that can share a query (same class, same ``batch_key``), runs each group
with one call of the class's ``run_many``, and sends every file its own part of the answer.

One file is a batch of one: the portal, the command line and the sensor validate a single file
through the very same steps, so the findings are the same however the files come in (tested).
"""

from __future__ import annotations

from collections.abc import Callable, Generator
from concurrent.futures import ThreadPoolExecutor
from typing import Any, ClassVar


class Request:
    """Something a file's steps need computed; requests of one class with equal ``batch_key`` run together."""

    batch_key: ClassVar[Any] = None

    def group_key(self) -> Any:
        return (type(self), self.batch_key)

    @classmethod
    def run_many(cls, requests: list[Request]) -> list[Any]:  # pragma: no cover - every subclass defines it
        raise NotImplementedError


Steps = Generator[Request, Any, Any]


def drive(steps: list[Steps], *, first: Callable[[Callable[[int], None], list[int]], None] | None = None) -> list[Any]:
    """Run every file's steps to the end; the result of each, or the exception that stopped it.

    ``first`` may run the first step of every file (inspecting and reading the file, the part that
    does not batch) in threads: it is called with a function of the file's index and the indices.
    A batch that fails is retried one request at a time, so that the error stops only its own file.
    """
    results: list[Any] = [None] * len(steps)
    waiting: dict[int, Request] = {}

    def advance(index: int, value: Any = None, error: BaseException | None = None) -> None:
        try:
            request = steps[index].throw(error) if error is not None else steps[index].send(value)
        except StopIteration as done:
            results[index] = done.value
        except Exception as exc:  # noqa: BLE001 - handed to the caller with its file
            results[index] = exc
        else:
            waiting[index] = request

    indices = list(range(len(steps)))
    if first is not None:
        first(advance, indices)
    else:
        for index in indices:
            advance(index)
    while waiting:
        groups: dict[Any, list[int]] = {}
        for index, request in waiting.items():
            groups.setdefault(request.group_key(), []).append(index)
        current, waiting = waiting, {}
        for members in groups.values():
            requests = [current[i] for i in members]
            try:
                answers = type(requests[0]).run_many(requests)
            except Exception:  # noqa: BLE001 - one at a time: the failure belongs to one file
                for index, request in zip(members, requests):
                    try:
                        answer = type(request).run_many([request])[0]
                    except Exception as exc:  # noqa: BLE001
                        advance(index, error=exc)
                    else:
                        advance(index, answer)
                continue
            for index, answer in zip(members, answers):
                advance(index, answer)
    return results


def run_one(steps: Steps) -> Any:
    """A single file's steps, to their result (or their exception, raised)."""
    result = drive([steps])[0]
    if isinstance(result, BaseException):
        raise result
    return result


def threaded_first(workers: int) -> Callable[[Callable[[int], None], list[int]], None] | None:
    """Run the first step of the files (their reading) in ``workers`` threads; calamine and polars release the GIL."""
    if workers <= 1:
        return None

    def first(advance: Callable[[int], None], indices: list[int]) -> None:
        with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="read") as pool:
            list(pool.map(advance, indices))

    return first
