"""The warehouse reads its catalogue once per connection (issue 30: a second of every upload's run went on 200
catalogue queries), and what a connection creates or adds itself, or undoes, it sees at once."""

from __future__ import annotations

import pytest

from pipelines.reader import Reader
from tests.test_warehouse_replace import _declared, _keys, _rows
from warehouse import store


@pytest.fixture
def path(tmp_path):
    return tmp_path / "warehouse.duckdb"


def test_a_table_created_on_a_connection_is_read_back_on_it(path):
    table = _declared("share")
    with store.connect(path) as con:
        assert store.read_table(con, table).is_empty()
        store.replace_partitions(con, table, _rows(table, "001", share=0.5), _keys("001"))
        assert store.read_table(con, table)["share"].to_list() == [0.5]


def test_a_column_added_on_a_connection_is_read_back_on_it(path):
    before, after = _declared("share"), _declared("share", "signal")
    with store.connect(path) as con:
        store.replace_partitions(con, before, _rows(before, "001", share=0.5), _keys("001"))
        store.replace_partitions(con, after, _rows(after, "002", share=0.1, signal=2.0), _keys("002"))
        found = store.read_table(con, after).sort("body")
    assert found["signal"].to_list() == [None, 2.0]


def test_a_table_created_by_a_write_rolled_back_is_gone_for_the_connection_too(path, monkeypatch):
    table = _declared("share")
    real = store._replace

    def created_then_failed(con, *args):
        real(con, *args)  # the table is created inside the transaction...
        raise RuntimeError("...and the write fails after it")

    monkeypatch.setattr(store, "_replace", created_then_failed)
    with store.connect(path) as con:
        with pytest.raises(RuntimeError):
            store.replace_partitions(con, table, _rows(table, "001", share=0.5), _keys("001"))
        assert store.read_table(con, table).is_empty()  # not "core.metrics does not exist"


def test_the_catalogue_is_read_once_per_connection(path, monkeypatch):
    reads = []
    real = store._read_columns
    with store.connect(path):
        pass  # a new warehouse: every declared table created
    monkeypatch.setattr(store, "_read_columns", lambda con, names=None: reads.append(names) or real(con, names))
    with store.connect(path) as con:
        reader = Reader(con, "some_stage", {"budget_lines", "uploads"})  # what a stage reads through
        for _ in range(5):
            store.read_table(con, "budget_lines")
            store.read_table(reader, "uploads")
    assert len(reads) == 1  # at opening: every declared table is there, nothing created, nothing refreshed
