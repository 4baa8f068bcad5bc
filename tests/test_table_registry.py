"""The table registry (issue 28): every table declared once, and from that one place its DDL, its strict pandera schema,
its asset check and its typed reads and writes. A frame that does not fit its table is refused, naming the columns; an
unknown table is refused; a column a declaration gains reaches an older warehouse (and tests/test_warehouse_replace.py:
no partition is lost)."""

from __future__ import annotations

import duckdb
import polars as pl
import pytest

from pipelines.checks import check_specs, validate
from sources.model import BudgetLines, RevenueLines
from warehouse import store, tables
from warehouse.errors import TableMismatch, UnknownTable
from warehouse.fields import FIELDS
from warehouse.table import declare, names


def _warehouse() -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    store.ensure(con)
    return con


@pytest.mark.parametrize("table", list(tables.TABLES.values()), ids=lambda t: t.name)
def test_every_table_has_its_ddl_a_strict_schema_and_a_check(table):
    con = duckdb.connect()
    con.execute("CREATE SCHEMA core")
    con.execute(table.ddl())
    stored = con.execute(f"SELECT * FROM {table.qualified}").pl()
    assert dict(stored.schema) == table.dtypes  # DuckDB gives back the declared types
    assert table.schema.strict is True and set(table.schema.columns) == set(table.column_names)
    assert table.description and table.description.endswith(".")
    [spec] = check_specs("some_asset", [table])
    assert spec.name == f"schema_{table.name}" and spec.blocking == table.blocking


def test_the_lines_are_declared_by_sources_model():
    """The intake's canonical models are the tables' declaration: one place, which the registry takes."""
    for table, model in ((tables.BUDGET_LINES, BudgetLines), (tables.REVENUE_LINES, RevenueLines)):
        assert table.model is model and table.column_names == list(model.to_schema().columns)
        assert table.schema.strict is True


def test_a_frame_with_an_extra_or_a_missing_column_is_refused_naming_it():
    con = _warehouse()
    row = {"scenario": ["Base"], "parameters": ["{}"]}
    store.replace_partitions(con, tables.SCENARIO_PARAMETERS, pl.DataFrame(row), pl.DataFrame({"scenario": ["Base"]}))
    with pytest.raises(TableMismatch) as extra:
        store.replace_partitions(
            con,
            "scenario_parameters",
            pl.DataFrame({**row, "surprise": [1]}),
            pl.DataFrame({"scenario": ["Base"]}),
        )
    assert extra.value.unexpected == ["surprise"] and "surprise" in extra.value.message("it")
    assert "undeclared columns surprise" in extra.value.message("en")
    with pytest.raises(TableMismatch) as missing:
        store.replace_partitions(
            con, "scenario_parameters", pl.DataFrame({"scenario": ["Base"]}), pl.DataFrame({"scenario": ["Base"]})
        )
    assert missing.value.missing == ["parameters"] and "mancano le colonne parameters" in missing.value.message("it")
    assert store.read_table(con, "scenario_parameters").rows() == [("Base", "{}")]  # nothing written, nothing lost


def test_a_column_of_another_type_is_refused_naming_both_types():
    con = _warehouse()
    frame = pl.DataFrame({"scenario": ["Base"], "parameters": [1]})
    with pytest.raises(TableMismatch) as wrong:
        store.replace_partitions(con, tables.SCENARIO_PARAMETERS, frame, frame.select("scenario"))
    assert wrong.value.wrong == [("parameters", "Int64", "String")]
    assert "parameters is Int64, declared String" in wrong.value.message("en")


def test_an_empty_column_fits_any_type():
    """``pl.lit(None)`` has polars' Null type: nothing is lost casting it to the declared type."""
    frame = pl.DataFrame({"scenario": ["Base"]}).with_columns(parameters=pl.lit(None))
    fitted = tables.SCENARIO_PARAMETERS.conform(frame)
    assert fitted.schema["parameters"] == pl.String and fitted.rows() == [("Base", None)]


def test_reading_or_writing_an_unknown_table_fails():
    con = _warehouse()
    with pytest.raises(UnknownTable, match="metrics"):
        store.read_table(con, "metrics")
    with pytest.raises(UnknownTable):
        store.replace_partitions(con, "metrics", pl.DataFrame({"body": ["237"]}), pl.DataFrame({"body": ["237"]}))
    assert "metrics" not in {t for (t,) in con.execute("SELECT table_name FROM information_schema.tables").fetchall()}


def test_reading_an_undeclared_column_fails_and_a_missing_table_reads_empty_with_its_types():
    con = duckdb.connect()  # a warehouse opened read only before the tables existed
    con.execute("CREATE SCHEMA core")
    empty = store.read_table(con, tables.PLANS)
    assert empty.is_empty() and dict(empty.schema) == tables.PLANS.dtypes
    with pytest.raises(TableMismatch, match="tier_name"):
        store.read_table(con, tables.PORTFOLIO, columns=["body", "tier_name"])


def test_a_strict_schema_fails_a_frame_with_an_undeclared_column():
    frame = tables.SCENARIO_PARAMETERS.empty().vstack(pl.DataFrame({"scenario": ["a"], "parameters": ["{}"]}))
    assert validate(frame, tables.SCENARIO_PARAMETERS) == []
    failures = validate(frame.with_columns(extra=pl.lit(1)), tables.SCENARIO_PARAMETERS)
    assert failures and any("extra" in str(f) for f in failures)


def test_every_field_is_used_by_some_table():
    used = {c for t in tables.TABLES.values() for c in t.column_names}
    assert sorted(set(FIELDS) - used) == []


def test_a_declaration_names_only_fields_and_its_own_columns():
    with pytest.raises(ValueError, match="no_such_column"):
        declare("bad", "A table naming a column without a field.", names("body no_such_column"), FIELDS)
    with pytest.raises(ValueError, match="declared twice"):
        declare("bad", "A table naming a column twice.", names("body year body"), FIELDS)


def test_opening_the_warehouse_adds_the_declared_columns_with_their_default(tmp_path):
    """The register of uploads gained ``content`` (default ``budget``): an older warehouse's rows get the default."""
    path = tmp_path / "old.duckdb"
    con = duckdb.connect(str(path))
    con.execute("CREATE SCHEMA core")
    columns = [c for c in tables.UPLOADS.columns if c.name not in ("content", "receipt_seq")]
    con.execute(f"CREATE TABLE core.uploads ({', '.join(f'{c.name} {c.sql_type}' for c in columns)})")
    con.execute(
        "INSERT INTO core.uploads VALUES ('" + "a" * 64 + "', 'x.xlsx', 'template', '237', 2025, 'rendiconto', "
        "TIMESTAMP '2025-01-01', 'rossi', 10, '/archive/x', 'current', NULL)"
    )
    con.close()
    with store.connect(path) as con:
        assert store.uploads(con).select("content", "receipt_seq").rows() == [("budget", None)]


def test_the_schema_check_reports_a_bad_row_of_any_part_written_and_at_most_twenty():
    """Each part a stage writes is validated as written (a national backfill writes a year or a batch at a time): a bad
    row in any part fails the check, and the failure cases stop at twenty."""
    from pipelines.checks import CASES, add_failures, check_results

    def runs(year: int, outcome: str, n: int = 1) -> pl.DataFrame:
        frame = pl.DataFrame(
            {
                "asset": ["a"] * n,
                "body": ["002"] * n,
                "year": [year] * n,
                "run_id": ["r1"] * n,
                "recorded_at": ["2026-12-04T10:00:00"] * n,
                "state": [outcome] * n,
                "error": [None] * n,
            }
        ).cast({"year": pl.Int32, "error": pl.String})
        return tables.get("body_runs").conform(frame)

    found: dict = {}
    add_failures(found, {"body_runs": runs(2024, "ok")}, ["body_runs"])
    [clean] = check_results(["body_runs"], found)
    add_failures(found, {"body_runs": runs(2025, "boh")}, ["body_runs"])
    add_failures(found, {"body_runs": runs(2026, "mah", 30)}, ["body_runs"])
    [both] = check_results(["body_runs"], found)
    assert clean.passed
    assert not both.passed and "boh" in str(both.metadata["failure_cases"].value)
    assert len(both.metadata["failure_cases"].value) == CASES
