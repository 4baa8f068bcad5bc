"""Replacing a partition never drops a table (issue 28): a derived table whose frame gains or loses columns keeps every
other partition's rows; new columns are added, missing ones are empty in the new rows."""

from __future__ import annotations

import duckdb
import polars as pl
from hypothesis import given, settings
from hypothesis import strategies as st

from pipelines import warehouse


def _connect() -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    con.execute("CREATE SCHEMA core")
    return con


def _rows(body: str, **values) -> pl.DataFrame:
    return pl.DataFrame({"body": [body], "year": [2025], **{k: [v] for k, v in values.items()}})


def _keys(body: str) -> pl.DataFrame:
    return pl.DataFrame({"body": [body]})


def test_a_new_column_is_added_and_the_other_partitions_stay():
    con = _connect()
    warehouse.replace_partitions(con, "metrics", _rows("002", share=0.5), _keys("002"))
    warehouse.replace_partitions(con, "metrics", _rows("003", share=0.7), _keys("003"))
    warehouse.replace_partitions(
        con, "metrics", _rows("002", share=0.6, signal=0.9), _keys("002")
    )  # the code now computes more
    table = warehouse.read_table(con, "metrics").sort("body")
    assert table.select("body", "share", "signal").rows() == [("002", 0.6, 0.9), ("003", 0.7, None)]


def test_a_frame_without_a_column_leaves_it_empty_in_its_rows_only():
    con = _connect()
    warehouse.replace_partitions(
        con,
        "metrics",
        pl.concat([_rows("002", share=0.5, note="a"), _rows("003", share=0.7, note="b")]),
        pl.DataFrame({"body": ["002", "003"]}),
    )
    warehouse.replace_partitions(con, "metrics", _rows("003", share=0.8), _keys("003"))
    table = warehouse.read_table(con, "metrics").sort("body")
    assert table.select("body", "share", "note").rows() == [("002", 0.5, "a"), ("003", 0.8, None)]


COLUMNS = ["share", "signal", "note_score"]


@settings(max_examples=40, deadline=None)
@given(
    st.lists(
        st.tuples(st.sampled_from(["002", "003", "004"]), st.sets(st.sampled_from(COLUMNS))), min_size=1, max_size=8
    )
)
def test_whatever_the_columns_each_partition_holds_its_last_write(writes):
    """Any sequence of writes, each with its own columns: every body holds exactly what its last write said."""
    con = _connect()
    last = {}
    for i, (body, columns) in enumerate(writes):
        values = {c: float(i) for c in sorted(columns)}
        warehouse.replace_partitions(con, "metrics", _rows(body, **values), _keys(body))
        last[body] = values
    table = warehouse.read_table(con, "metrics")
    assert sorted(table["body"]) == sorted(last)
    for row in table.iter_rows(named=True):
        assert {c: row.get(c) for c in COLUMNS} == {c: last[row["body"]].get(c) for c in COLUMNS}
