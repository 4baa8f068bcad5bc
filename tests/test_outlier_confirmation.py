"""Confirming an outlier (issue 28's defect: nothing wrote ``core.confirmed_outliers``, so a confirmation did nothing).

End to end: a jump flagged by the peer comparison, confirmed with ``areavasta anomalie conferma``, counts again in the
next run, and the confirmation is stored by the asset that reads it; a hand-edited file that cannot be used is refused
whole, naming the row and the column."""

from __future__ import annotations

import re

import dagster as dg
import polars as pl
import pytest
from typer.testing import CliRunner

from cli.main import app
from pipelines.runner import run_pipeline
from sources.kept_files import FileRefused
from sources.outlier_confirmations import (
    confirm,
    confirmations_file,
    read_confirmations,
)
from sources.samples.budget import generate_budget
from tests.conftest import write_sample
from warehouse import store as warehouse
from warehouse.ingest import ingest_files


def _jumped(body: str, year: int) -> pl.DataFrame:
    """Body 002's roads (10.05) three times the generated amount: a jump of about +200 %, flagged until someone confirms
    it."""
    lines = generate_budget(body, year, "rendiconto")
    if body == "002" and year == 2025:
        lines = lines.with_columns(
            amount_cents=pl.when(pl.col("programma") == "10.05")
            .then(pl.col("amount_cents") * 3)
            .otherwise(pl.col("amount_cents"))
        )
    return lines


def _flag(settings) -> dict:
    with warehouse.connect(settings.warehouse_path) as con:
        bench = warehouse.read_table(con, "peer_benchmarks").filter(
            pl.col("body") == "002", pl.col("year") == 2025, pl.col("function") == "10.05"
        )
        stored = warehouse.read_table(con, "confirmed_outliers")
    return {**bench.row(0, named=True), "stored": stored}


def test_a_confirmed_outlier_counts_again_in_the_next_run(tmp_path, settings):
    files = [
        write_sample(tmp_path / "in", _jumped(b, y), "annex_amount_kinds") for b in ("002", "003") for y in (2024, 2025)
    ]
    ingest_files(files, settings)
    instance = dg.DagsterInstance.ephemeral()
    run_pipeline(instance, [2024, 2025], home=str(settings.home))
    before = _flag(settings)
    assert before["outlier_jump"] and before["outlier"] and before["stored"].is_empty()

    result = CliRunner().invoke(
        app,
        [
            "anomalie",
            "conferma",
            "--body",
            "Vercelli",
            "--funzione",
            "10.05",
            "--motivo",
            "nuovo appalto di manutenzione straordinaria, verificato sul rendiconto",
        ],
    )
    assert result.exit_code == 0 and "valore confermato" in result.output, result.output
    listing = CliRunner().invoke(app, ["anomalie", "elenco", "--body", "002"], terminal_width=200)
    assert re.search(r"salto di \+\d{3} %", listing.output) and "nuovo appalto" in listing.output, listing.output

    run_pipeline(instance, [2024, 2025], home=str(settings.home))
    after = _flag(settings)
    assert after["outlier_jump"] and not after["outlier"]  # still a jump, no longer left out
    assert after["stored"].select("body", "function").rows() == [("002", "10.05")]
    with warehouse.connect(settings.warehouse_path) as con:
        ranked = warehouse.read_table(con, "portfolio").filter(
            pl.col("body") == "002", pl.col("year") == 2025, pl.col("function") == "10.05"
        )
    assert ranked["c_trend"].is_not_null().all()  # its trend counts again in the priority score


def test_a_confirmation_replaces_the_previous_one_and_keeps_the_others(tmp_path):
    confirm(tmp_path, "002", "10.05", "prima", "anna")
    confirm(tmp_path, "237", "04.02", "palestre", "bruno")
    confirm(tmp_path, "002", "10.05", "seconda verifica", "carla")
    found = read_confirmations(tmp_path)
    assert found.select("body", "function", "reason", "confirmed_by").rows() == [
        ("002", "10.05", "seconda verifica", "carla"),
        ("237", "04.02", "palestre", "bruno"),
    ]


@pytest.mark.parametrize(
    ("row", "words"),
    [
        ("Atlantide;10.05;verificato", "riga 3, colonna body: ente 'Atlantide' sconosciuto"),
        ("Bologna;10.99;verificato", "riga 3, colonna function: '10.99' non è un programma"),
        ("Bologna;10.05;  ", "riga 3, colonna reason: manca il motivo"),
    ],
)
def test_a_file_edited_by_hand_is_refused_whole_naming_row_and_column(tmp_path, row, words):
    confirmations_file(tmp_path).write_text(
        f"body;function;reason\nVercelli;10.05;verificato\n{row}\n", encoding="utf-8"
    )
    with pytest.raises(FileRefused) as refused:
        read_confirmations(tmp_path)
    assert words in refused.value.message("it") and "confirmed_outliers.csv" in refused.value.message("en")


def test_a_confirmation_without_a_reason_or_of_an_unknown_function_is_refused(settings):
    empty = CliRunner().invoke(app, ["anomalie", "conferma", "--body", "002", "--funzione", "10.05", "--motivo", " "])
    unknown = CliRunner().invoke(app, ["anomalie", "conferma", "--body", "002", "--funzione", "10.99", "--motivo", "x"])
    assert empty.exit_code == 2 and "Serve il motivo" in empty.output
    assert unknown.exit_code == 2 and "non è un programma" in unknown.output
    assert not confirmations_file(settings.home).exists()
