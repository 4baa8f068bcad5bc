"""Replacing a partition never drops a table (issue 28): when a table's declaration gains columns, the warehouse gets
them and keeps every other partition's rows (empty in the new columns until computed again); a frame that does not fit
the declaration is refused and changes nothing."""

from __future__ import annotations

import duckdb
import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from warehouse import store as warehouse
from warehouse.errors import TableMismatch
from warehouse.fields import FIELDS
from warehouse.table import Field, Table, declare, names

COLUMNS = ["share", "signal", "note_score"]


def _connect() -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    con.execute("CREATE SCHEMA core")
    return con


def _declared(*columns: str) -> Table:
    """``core.metrics``, one version of its declaration: body, year and these columns."""
    return declare(
        "metrics",
        "A derived table whose declaration changes.",
        names("body year", " ".join(columns)),
        FIELDS,
        key=("body", "year"),
        own={c: Field(pl.Float64()) for c in columns},
    )


def _rows(table: Table, body: str, **values) -> pl.DataFrame:
    extra = [c for c in table.column_names if c not in ("body", "year")]
    return pl.DataFrame({"body": [body], "year": [2025], **{c: [values.get(c)] for c in extra}}).cast(table.dtypes)


def _keys(body: str) -> pl.DataFrame:
    return pl.DataFrame({"body": [body]})


def test_a_new_column_is_added_and_the_other_partitions_stay():
    con = _connect()
    before, after = _declared("share"), _declared("share", "signal")  # the code now computes more
    warehouse.replace_partitions(con, before, _rows(before, "002", share=0.5), _keys("002"))
    warehouse.replace_partitions(con, before, _rows(before, "003", share=0.7), _keys("003"))
    warehouse.replace_partitions(con, after, _rows(after, "002", share=0.6, signal=0.9), _keys("002"))
    table = warehouse.read_table(con, after).sort("body")
    assert table.select("body", "share", "signal").rows() == [("002", 0.6, 0.9), ("003", 0.7, None)]


def test_a_frame_without_a_declared_column_is_refused_and_nothing_is_lost():
    con = _connect()
    table = _declared("share", "note_score")
    both = pl.concat([_rows(table, "002", share=0.5, note_score=1.0), _rows(table, "003", share=0.7, note_score=2.0)])
    warehouse.replace_partitions(con, table, both, pl.DataFrame({"body": ["002", "003"]}))
    with pytest.raises(TableMismatch, match="note_score"):
        warehouse.replace_partitions(con, table, _rows(table, "003", share=0.8).drop("note_score"), _keys("003"))
    stored = warehouse.read_table(con, table).sort("body")
    assert stored.select("body", "share", "note_score").rows() == [("002", 0.5, 1.0), ("003", 0.7, 2.0)]


@settings(max_examples=40, deadline=None)
@given(
    st.lists(
        st.tuples(st.sampled_from(["002", "003", "004"]), st.sets(st.sampled_from(COLUMNS))), min_size=1, max_size=8
    )
)
def test_whatever_the_declarations_each_partition_holds_its_last_write(writes):
    """Any sequence of writes, the declaration gaining the columns each write brings: every body holds exactly what its
    last write said, and is empty in the columns declared after it."""
    con = _connect()
    declared: list[str] = []
    last = {}
    for i, (body, columns) in enumerate(writes):
        declared += [c for c in sorted(columns) if c not in declared]
        table = _declared(*declared)
        values = {c: float(i) for c in sorted(columns)}
        warehouse.replace_partitions(con, table, _rows(table, body, **values), _keys(body))
        last[body] = values
    stored = warehouse.read_table(con, _declared(*declared))
    assert sorted(stored["body"]) == sorted(last)
    for row in stored.iter_rows(named=True):
        assert {c: row.get(c) for c in declared} == {c: last[row["body"]].get(c) for c in declared}
