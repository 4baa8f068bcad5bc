"""Tables as the graph's inputs and outputs (issue 28): every table a stage reads has a producer, a stage or a loader
that declares it in ``writes`` (``core.confirmed_outliers`` was read and never written, so confirming an outlier did
nothing); the dependencies are derived from those reads; a read nobody produces stops the definitions from loading;
a stage reading a table it does not declare fails."""

from __future__ import annotations

import re
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import dagster as dg
import pytest

from pipelines.declaration import BODY, Stage
from pipelines.factory import BOOKKEEPING, GraphError, asset_of, layers, producers, upstream
from pipelines.graph import LOADERS, STAGES
from pipelines.reader import Reader, UndeclaredRead
from pipelines.resources import Warehouse
from warehouse import store as warehouse
from warehouse.stored import Stored

ROOT = Path(__file__).resolve().parents[1]
READS = (
    re.compile(r'read_table\(\s*con,\s*"([a-z_]+)"'),
    re.compile(r"FROM core\.([a-z_]+)"),
    re.compile(r"read_table\(\s*con,\s*tables\.([A-Z_]+)"),
)


def _read_tables() -> set[str]:
    """Every table the product's code reads by name (stages, commands, pages)."""
    found = set()
    for room in ("warehouse", "pipelines", "cli", "dashboards"):
        for path in (ROOT / room).rglob("*.py"):
            text = path.read_text(encoding="utf-8")
            for pattern in READS:
                found.update(name.lower() for name in pattern.findall(text))
    return found


def test_every_table_read_has_a_producer_in_the_graph():
    written = set(producers(STAGES, LOADERS)) | set(BOOKKEEPING)
    orphans = _read_tables() - written
    assert orphans == set(), f"tables read but written by no stage or loader: {sorted(orphans)}"
    assert {"national_lines", "ratings", "budget_lines", "uploads", "confirmed_outliers"} <= written


def test_dependencies_come_from_the_tables_read():
    written_by = producers(STAGES, LOADERS)
    by_name = {s.name: s for s in STAGES}
    assert upstream(by_name["co_assessment"], written_by) == ["ratings"]  # it reads core.ratings, not the archive
    assert "national_lines" in upstream(by_name["function_metrics"], written_by)
    assert upstream(by_name["ruffini_matrix"], written_by) == ["authority_scores", "budget_lines", "function_metrics"]
    from pipelines.definitions import defs

    graph = defs.resolve_asset_graph()
    parents = {p.to_user_string() for p in graph.get(dg.AssetKey("co_assessment")).parent_keys}
    assert parents == {"ratings"}


def test_a_read_with_no_producer_stops_the_definitions_from_loading():
    """Declared as data: a stage reading a table nobody writes makes ``pipelines.definitions`` fail to import."""
    code = (
        "from dataclasses import replace\n"
        "import pipelines.graph as g\n"
        "s = next(s for s in g.STAGES if s.name == 'peer_benchmarks')\n"
        "g.STAGES = tuple(replace(s, reads=(*s.reads, 'confirmed_outliers_typo')) if x is s else x for x in g.STAGES)\n"
        "import pipelines.definitions\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=300, check=False
    )
    assert done.returncode != 0
    assert "GraphError: stage peer_benchmarks reads core.confirmed_outliers_typo, which no stage or loader writes" in (
        done.stderr
    )


def test_the_check_sees_an_orphan():
    """The rule is not vacuous: without the stage that writes them, the tables the peer stage wrote are orphans."""
    without_peers = tuple(s for s in STAGES if s.name != "peer_benchmarks")
    with pytest.raises(GraphError, match="reads core.peer_benchmarks, which no stage or loader writes"):
        layers(without_peers, producers(without_peers, LOADERS))


def test_a_table_written_twice_is_an_error():
    twice = (*STAGES, replace(STAGES[-1], name="another", writes=("plans",)))
    with pytest.raises(GraphError, match="core.plans is written by both restructuring_plans and another"):
        producers(twice, LOADERS)


def test_the_graph_names_the_registry_s_tables_and_refuses_others():
    """Declarations take the registry's tables (``warehouse.tables``) or their names, kept as names; a table the
    registry does not declare stops the graph before any stage runs, not at its first write."""
    from warehouse import tables

    by_name = {s.name: s for s in STAGES}
    assert by_name["function_metrics"].reads[0] == "budget_lines"  # declared as tables.BUDGET_LINES
    assert replace(STAGES[0], writes=(tables.BUDGET_LINES,)).writes == ("budget_lines",)
    assert {t for s in STAGES for t in (*s.reads, *s.writes)} <= set(tables.TABLES)
    invented = (*STAGES, replace(STAGES[-1], name="another", writes=("plans_draft",)))
    with pytest.raises(GraphError, match="another writes core.plans_draft, which warehouse/tables.py does not declare"):
        producers(invented, LOADERS)


def test_the_reader_refuses_a_table_not_declared_and_any_write(settings):
    with warehouse.connect(settings.warehouse_path) as con:
        reader = Reader(con, "a_stage", {"budget_lines"})
        assert warehouse.read_table(reader, "budget_lines").width > 0  # declared: read as ever
        with pytest.raises(UndeclaredRead, match="stage a_stage reads core.uploads without declaring it"):
            warehouse.uploads(reader)
        with pytest.raises(UndeclaredRead, match="tried to write"):
            reader.execute("DELETE FROM core.budget_lines")


def test_a_stage_reading_a_table_it_does_not_declare_fails_its_run(settings):
    """Through the factory, as every asset runs: the stage reads core.uploads, declaring only core.budget_lines."""
    sneaky = Stage(
        "sneaky",
        BODY,
        lambda run: Stored({"rows": warehouse.uploads(run.reader).height}),
        "reads the register without saying so",
        reads=("budget_lines",),
    )
    asset = asset_of(sneaky, producers(STAGES, LOADERS))
    instance = dg.DagsterInstance.ephemeral()
    instance.add_dynamic_partitions("anno", ["2025"])
    result = dg.materialize(
        [asset],
        instance=instance,
        partition_key="2025",
        tags={"areavasta/enti": "237"},
        resources={"warehouse_db": Warehouse(home=str(settings.home))},
        raise_on_error=False,
    )
    assert not result.success
    cause = result.get_step_failure_events()[0].step_failure_data.error.cause
    assert cause.cls_name == "UndeclaredRead" and "stage sneaky reads core.uploads" in cause.message
    honest = asset_of(
        replace(sneaky, name="honest", reads=("budget_lines", "uploads")),
        producers(STAGES, LOADERS),
    )
    again = dg.materialize(
        [honest],
        instance=instance,
        partition_key="2025",
        tags={"areavasta/enti": "237"},
        resources={"warehouse_db": Warehouse(home=str(settings.home))},
    )
    assert again.success
