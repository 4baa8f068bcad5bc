"""What declares a stage of the graph (``pipelines.graph``), and what a stage gets when it runs.

A ``Stage`` is data: its name (the asset's and the run configuration's), its partitions, the function that computes
it, the tables it reads and writes (the registry's tables, ``warehouse.tables``, or their names: kept as names),
its configuration class, its extra checks. ``pipelines.factory`` turns each one into an asset, refusing a table the
registry does not declare; its dependencies come from what it reads (the producer of each table), never from a list of
its own.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

import polars as pl

from warehouse.stored import Stored
from warehouse.table import Table

BODY, YEAR = "body", "year"  # year × body (``anno|ente``) or year (``anno``): the two partitions definitions


def _names(declared: tuple[Table | str, ...] | None) -> tuple[str, ...] | None:
    """Tables as their names (the reader, the metadata and the graph compare names)."""
    return None if declared is None else tuple(t.name if isinstance(t, Table) else t for t in declared)


@dataclass(frozen=True)
class Check:
    """An asset check beyond the schema checks: ``evaluate(run, computed)`` gives (passed, metadata), unless the stage
    evaluated it while computing (``Stored.checks``). ``warn``: a warning, not an error; ``blocking``: stops the stages
    after it."""

    name: str
    description: str
    evaluate: Callable[[StageRun, Stored], tuple[bool, dict]] | None = None
    warn: bool = False
    blocking: bool = False


@dataclass(frozen=True)
class Stage:
    """One stage of the method, declared once. ``run(stage_run)`` returns what it computed (``Stored``), or its parts
    one after another (each stored before the next is computed: a national backfill holds one part at a time).

    ``reads``: the tables it reads, each written by one stage or loader (its producer: a dependency), or by the
    recording path (``BOOKKEEPING``). A stage may also read what it writes (earlier partitions), and nothing else.
    ``writes``: the tables it stores (each with a schema checked after the write, unless ``schema_checked`` names
    fewer). ``prepare(settings)``: work before the stage opens the warehouse (``budget_lines`` loads pending receipts
    with a connection of its own). ``after``: assets it follows that are not tables (``archived_uploads``).
    ``parameters``: its run configuration is part of the manifest (method parameters; output options are not).
    ``files``: it writes files (workbooks, pages), recorded in the manifest as its outputs."""

    name: str
    partitions: str  # BODY or YEAR
    run: Callable[[StageRun], Stored | Iterable[Stored]]
    description: str
    reads: tuple[Table | str, ...] = ()
    writes: tuple[Table | str, ...] = ()
    config: type | None = None
    checks: tuple[Check, ...] = ()
    kinds: frozenset[str] = frozenset({"duckdb", "polars"})
    schema_checked: tuple[Table | str, ...] | None = None
    prepare: Callable[[Any], dict] | None = None
    after: tuple[str, ...] = ()
    parameters: bool = True

    def __post_init__(self):
        for declared in ("reads", "writes", "schema_checked"):
            object.__setattr__(self, declared, _names(getattr(self, declared)))

    @property
    def checked(self) -> tuple[str, ...]:
        return self.writes if self.schema_checked is None else self.schema_checked


@dataclass(frozen=True)
class Loader:
    """An asset that loads a file a person gives (``areavasta national``, ``areavasta ratings``): unpartitioned, run
    by a command; declared here for the tables it writes (so the stages reading them depend on it)."""

    name: str
    writes: tuple[Table | str, ...]

    def __post_init__(self):
        object.__setattr__(self, "writes", _names(self.writes))


@dataclass
class StageRun:
    """What a stage gets: its reader (``pipelines.reader``: the declared tables only), the partitions of the run
    (``keys``: body and year, or year), its run configuration, the settings, the run's manifest on demand (a stage
    that names it in what it writes), what ``prepare`` found, and the bodies the run names (a stage of the year that
    computes each body's rows apart, the scenarios, computes those only)."""

    reader: Any
    keys: pl.DataFrame
    config: Any
    settings: Any
    prepared: dict = field(default_factory=dict)
    manifest_of: Callable[[], Any] | None = None
    bodies: list[str] | None = None  # the run's bodies (its tag ``areavasta/enti``); None: every body with data
    _manifest: Any = None

    @property
    def years(self) -> list[int]:
        return sorted(int(y) for y in self.keys["year"].unique())

    def manifest(self):
        """The run's manifest, built once (before the stage writes, when the stage asks for it; else after)."""
        if self._manifest is None:
            self._manifest = self.manifest_of()
        return self._manifest
