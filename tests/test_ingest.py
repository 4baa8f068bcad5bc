"""Archive and warehouse: nothing lost, nothing half-written, the same file twice is a no-op."""

from __future__ import annotations

import hashlib
import json
import tempfile
from pathlib import Path

import duckdb
import polars as pl
import pytest
from hypothesis import given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from sources import archive, receipts
from sources.intake import receive
from sources.model import conform
from sources.receipts import Uploader
from sources.samples.budget import generate_budget
from tests import malformed as m
from tests.conftest import write_sample
from warehouse import store as warehouse
from warehouse import uploads
from warehouse.ingest import ingest_files
from warehouse.loading import load_receipts


def _lines(settings) -> pl.DataFrame:
    with warehouse.connect(settings.warehouse_path) as con:
        return warehouse.budget_lines(con)


def _uploads(settings) -> pl.DataFrame:
    with warehouse.connect(settings.warehouse_path) as con:
        return warehouse.uploads(con)


def test_accepted_file_is_archived_as_received_with_metadata(tmp_path, settings, small_budget):
    path = write_sample(tmp_path, small_budget, "template")
    [outcome] = ingest_files([path], settings, user="ufficio.ragioneria")
    assert outcome.status == "accepted"
    sha = archive.sha256_of(path)
    stored = settings.archive_dir / sha[:2] / f"{sha}.xlsx"
    assert stored.read_bytes() == path.read_bytes()
    [meta] = json.loads(stored.with_suffix(".xlsx.json").read_text())
    assert meta["original_name"] == path.name and meta["received_by"] == "ufficio.ragioneria"
    assert meta["partitions"] == [["002", 2026, "previsione"]]
    lines = _lines(settings)
    assert lines.height == small_budget.height and set(lines["source_sha256"]) == {sha}
    assert lines["amount_cents"].sum() == small_budget["amount_cents"].sum()


def test_same_file_twice_is_a_no_op(tmp_path, settings, small_budget):
    path = write_sample(tmp_path, small_budget, "template")
    ingest_files([path], settings)
    copy = tmp_path / "copia con altro nome.xlsx"
    copy.write_bytes(path.read_bytes())
    [outcome] = ingest_files([copy], settings)
    assert outcome.status == "unchanged"
    assert _lines(settings).height == small_budget.height and _uploads(settings).height == 1


def test_newer_file_supersedes_older_which_stays_archived(tmp_path, settings):
    first = write_sample(tmp_path / "a", generate_budget("237", 2025, "rendiconto"), "annex_amount_kinds")
    # a corrected export of the same budget (every amount one euro more): not worse, so it replaces at once
    second = write_sample(
        tmp_path / "b",
        generate_budget("237", 2025, "rendiconto").with_columns(pl.col("amount_cents") + 100),
        "template",
    )
    ingest_files([first], settings)
    ingest_files([second], settings)
    uploads = _uploads(settings)
    assert uploads.select("layout", "status").rows() == [("annex_amount_kinds", "superseded"), ("template", "current")]
    assert uploads["superseded_by"][0] == archive.sha256_of(second)
    assert set(_lines(settings)["source_sha256"]) == {archive.sha256_of(second)}
    assert all(pathlib_exists(p) for p in uploads["archive_path"])


def pathlib_exists(path: str) -> bool:
    from pathlib import Path

    return Path(path).exists()


def test_rejected_file_writes_nothing(tmp_path, settings):
    bad = m.edit_xlsx(m.template(tmp_path / "g.xlsx"), tmp_path / "bad.xlsx", "Dati", {"F6": "mille euro"})
    [outcome] = ingest_files([bad], settings)
    assert outcome.status == "rejected"
    assert _lines(settings).height == 0 and _uploads(settings).height == 0
    assert not settings.archive_dir.exists() or not any(settings.archive_dir.rglob("*.xlsx"))


def test_one_bad_file_does_not_stop_the_others(tmp_path, settings, small_budget):
    good = write_sample(tmp_path, small_budget, "template")
    bad = m.edit_xlsx(m.template(tmp_path / "g.xlsx"), tmp_path / "bad.xlsx", "Dati", {"A6": "77"})
    outcomes = ingest_files([bad, good], settings)
    assert [o.status for o in outcomes] == ["rejected", "accepted"]


def test_crash_mid_load_leaves_the_warehouse_as_it_was(tmp_path, settings, small_budget, monkeypatch):
    first = write_sample(tmp_path / "a", small_budget, "template")
    ingest_files([first], settings)
    before = _lines(settings).sort("cell")
    replacement = write_sample(tmp_path / "b", generate_budget("002", 2026, "previsione", seed=3), "annex_amount_kinds")

    real_execute = duckdb.DuckDBPyConnection.execute

    def failing_execute(self, query, *args, **kwargs):
        if query.startswith("UPDATE core.uploads"):
            raise RuntimeError("simulated crash after the insert")
        return real_execute(self, query, *args, **kwargs)

    monkeypatch.setattr(duckdb.DuckDBPyConnection, "execute", failing_execute)
    with pytest.raises(RuntimeError, match="simulated crash"):
        ingest_files([replacement], settings, replace=True)  # another generated budget: confirmed, or it would be held
    monkeypatch.undo()
    after = _lines(settings).sort("cell")
    assert after.equals(before)
    assert _uploads(settings)["status"].to_list() == ["current"]
    [outcome] = ingest_files([replacement], settings, replace=True)  # and the same file loads cleanly afterwards
    assert outcome.status == "accepted"


def test_bdap_file_loads_many_bodies_in_one_upload(tmp_path, settings):
    path = m.bdap(tmp_path / "bdap_2024_rendiconto.csv", bodies=("237", "002", "036"))
    [outcome] = ingest_files([path], settings)
    assert outcome.partitions == [("002", 2024, "rendiconto"), ("036", 2024, "rendiconto"), ("237", 2024, "rendiconto")]
    assert _uploads(settings).height == 3
    assert (settings.archive_dir / outcome.validation.sha256[:2] / f"{outcome.validation.sha256}.csv").exists()


@pytest.mark.parametrize("chunk_files, batch_rows", [(2, 1), (3, 10**9)])
def test_chunks_and_transactions_change_nothing(tmp_path, settings, monkeypatch, chunk_files, batch_rows):
    """Files validated two or three at a time, and loaded a chunk per transaction or all in one, end exactly as
    when each file is ingested alone: a later file of a partition supersedes an earlier one across chunks,
    the same file again is unchanged, a bad file stops only itself."""
    old = write_sample(tmp_path / "a", generate_budget("237", 2025, "rendiconto"), "annex_amount_kinds")
    other = write_sample(tmp_path / "b", generate_budget("002", 2025, "rendiconto"), "template")
    bad = m.edit_xlsx(m.template(tmp_path / "g.xlsx"), tmp_path / "bad.xlsx", "Dati", {"F6": "mille euro"})
    again = tmp_path / "copia.xlsx"
    again.write_bytes(old.read_bytes())
    new = write_sample(
        tmp_path / "c",
        generate_budget("237", 2025, "rendiconto").with_columns(pl.col("amount_cents") + 100),
        "template",
    )
    files = [old, other, bad, again, new]

    alone = settings.with_(home=tmp_path / "alone")
    expected = [ingest_files([path], alone)[0].status for path in files]
    monkeypatch.setattr("warehouse.loading.CHUNK_FILES", chunk_files)
    monkeypatch.setattr("warehouse.loading.BATCH_ROWS", batch_rows)
    assert (
        [o.status for o in ingest_files(files, settings)]
        == expected
        == ["accepted", "accepted", "rejected", "unchanged", "accepted"]
    )

    def state(home):
        uploads = _uploads(home).select("sha256", "body", "status", "superseded_by").sort("sha256")
        lines = _lines(home).group_by("source_sha256").agg(pl.len(), pl.col("amount_cents").sum()).sort("source_sha256")
        return uploads, lines

    for got, want in zip(state(settings), state(alone)):
        assert got.equals(want)
    assert _uploads(settings).filter(pl.col("status") == "current")["sha256"].sort().to_list() == sorted(
        [archive.sha256_of(other), archive.sha256_of(new)]
    )


# --- the order of receipt decides, whatever the order of loading (issue 25, "Rules the suite lets break") -------------


def _receipt_file(seq: int, body: str) -> uploads.Upload:
    """Receipt ``seq``'s file for one body's 2025 final accounts: one line whose amount is the receipt's number in
    euro."""
    sha = hashlib.sha256(f"ricevuta {seq} {body}".encode()).hexdigest()
    lines = conform(
        pl.DataFrame(
            {
                "body": [body],
                "year": [2025],
                "phase": ["rendiconto"],
                "missione": ["10"],
                "programma": ["10.05"],
                "titolo": ["1"],
                "macroaggregato": ["1.03"],
                "amount_kind": ["impegni"],
                "amount_cents": [seq * 100],
                "source_sha256": [sha],
                "source_file": [f"ricevuta_{seq}.xlsx"],
                "cell": [f"F{seq}"],
            }
        )
    )
    return uploads.Upload(
        lines, sha, f"ricevuta_{seq}.xlsx", "template", "ufficio", Path(f"archivio/{sha}.xlsx"), receipt_seq=seq
    )


def _held_state(con) -> tuple[list, list]:
    current = con.execute(
        "SELECT body, receipt_seq FROM core.uploads WHERE status = 'current' ORDER BY body"
    ).fetchall()
    lines = con.execute("SELECT body, amount_cents FROM core.budget_lines ORDER BY body, amount_cents").fetchall()
    return current, lines


def test_an_older_receipt_loaded_late_never_replaces_a_later_one_whatever_else_is_in_its_batch(settings):
    """Receipt 1 (held, then confirmed) reaches the warehouse after receipt 2 of the same partition, in one batch with
    receipt 3 of another body: 2 stays current. The later receipts are looked up from the batch's oldest, not its
    newest."""
    with warehouse.connect(settings.warehouse_path) as con:
        uploads.load(con, [_receipt_file(2, "237")])
        uploads.load(con, [_receipt_file(1, "237"), _receipt_file(3, "002")])
        assert _held_state(con) == ([("002", 3), ("237", 2)], [("002", 300), ("237", 200)])
        superseded = con.execute(
            "SELECT receipt_seq, superseded_by FROM core.uploads WHERE status = 'superseded'"
        ).fetchall()
    assert superseded == [(1, _receipt_file(2, "237").sha256)]


@hsettings(max_examples=40)
@given(
    st.lists(st.sampled_from(["237", "002", "036"]), min_size=1, max_size=6).flatmap(
        lambda bodies: st.tuples(
            st.just(bodies),
            st.permutations(range(1, len(bodies) + 1)),
            st.lists(st.booleans(), min_size=len(bodies), max_size=len(bodies)),
        )
    )
)
def test_in_any_order_and_batches_each_partition_ends_with_its_latest_receipt(case):
    """Receipts 1..n (receipt i for ``bodies[i - 1]``) arrive in any order, cut into any batches (each in order of
    receipt, as ``load_receipts`` sorts them): the warehouse ends as if they had been loaded one by one in order."""
    bodies, arrival, cuts = case
    batches, batch = [], []
    for seq, cut in zip(arrival, cuts):
        batch.append(seq)
        if cut:
            batches.append(sorted(batch))
            batch = []
    batches += [sorted(batch)] if batch else []
    latest = {body: max(seq for seq, b in enumerate(bodies, start=1) if b == body) for body in set(bodies)}
    with tempfile.TemporaryDirectory() as folder, warehouse.connect(Path(folder) / "magazzino.duckdb") as con:
        for batch in batches:
            uploads.load(con, [_receipt_file(seq, bodies[seq - 1]) for seq in batch])
        current, lines = _held_state(con)
    assert current == sorted(latest.items())
    assert lines == sorted((body, seq * 100) for body, seq in latest.items())


def test_a_load_that_fails_before_its_commit_leaves_its_receipts_to_load(tmp_path, settings, small_budget, monkeypatch):
    """Receipts change state only after the warehouse commits (issue 25, item 2): a load that dies inside its
    transaction leaves both receipts received (pending), and the next load (the sensor's) takes them."""
    files = [
        write_sample(tmp_path / "a", small_budget, "template"),
        write_sample(tmp_path / "b", generate_budget("237", 2025, "rendiconto"), "template"),
    ]
    for path in files:
        receive(path, settings, Uploader("operatore"))
    real_execute = duckdb.DuckDBPyConnection.execute

    def failing_execute(self, query, *args, **kwargs):
        if query.startswith("UPDATE core.uploads"):
            raise RuntimeError("simulated crash inside the transaction")
        return real_execute(self, query, *args, **kwargs)

    monkeypatch.setattr(duckdb.DuckDBPyConnection, "execute", failing_execute)
    with pytest.raises(RuntimeError, match="simulated crash"):
        load_receipts(settings)
    monkeypatch.undo()
    assert [r.status for r in receipts.all_receipts(settings)] == [receipts.RECEIVED] * 2
    assert [r.seq for r in receipts.pending(settings)] == [1, 2] and _uploads(settings).height == 0
    assert [o.status for o in load_receipts(settings)] == ["accepted", "accepted"]
    assert [r.status for r in receipts.all_receipts(settings)] == [receipts.CURRENT] * 2
    assert _lines(settings).height == small_budget.height + generate_budget("237", 2025, "rendiconto").height
