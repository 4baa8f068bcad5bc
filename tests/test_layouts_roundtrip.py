"""Every supported layout, written from a generated budget, reads back to the same amounts."""

from __future__ import annotations

import polars as pl
import pytest

from sources.intake import validate_file
from sources.model import BudgetLines
from sources.samples.budget import aggregate, generate_budget, with_total_payments
from sources.samples.layouts import OPEN_FORMAT_KINDS, write_bdap
from tests.conftest import write_sample

KEYS = ["missione", "programma", "titolo", "macroaggregato", "amount_kind"]


def _totals(frame: pl.DataFrame, keys: list[str]) -> dict:
    return dict(
        frame.group_by(keys)
        .agg(pl.col("amount_cents").sum())
        .filter(pl.col("amount_cents") != 0)
        .sort(keys)
        .select(pl.concat_str(keys, separator="|", ignore_nulls=True), "amount_cents")
        .iter_rows()
    )


@pytest.mark.parametrize("phase", ["previsione", "rendiconto"])
@pytest.mark.parametrize("text_numbers", [False, True])
def test_annex_amount_kinds_reads_every_line(tmp_path, settings, phase, text_numbers):
    lines = generate_budget("237", 2025, phase)
    path = write_sample(tmp_path, lines, "annex_amount_kinds", text_numbers=text_numbers)
    result = validate_file(path, settings)
    assert result.layout == "annex_amount_kinds"
    assert [f.code for f in result.findings] == []
    assert (result.lines["body"].unique().to_list(), result.lines["year"].unique().to_list()) == (["237"], [2025])
    assert result.lines["phase"].unique().to_list() == [phase]
    assert _totals(result.lines, KEYS) == _totals(aggregate(lines), KEYS)
    BudgetLines.validate(result.lines)


@pytest.mark.parametrize("phase", ["previsione", "rendiconto"])
def test_annex_macroaggregates_reads_each_kind_sheet(tmp_path, settings, phase):
    lines = generate_budget("002", 2025, phase)
    path = write_sample(tmp_path, lines, "annex_macroaggregates")
    result = validate_file(path, settings)
    assert result.layout == "annex_macroaggregates" and result.ok, result.findings
    kinds = {"previsione": ["stanziamento", "stanziamento_cassa"], "rendiconto": ["impegni", "pagamenti_competenza"]}[
        phase
    ]
    assert sorted(result.lines["amount_kind"].unique()) == kinds
    expected = aggregate(lines).filter(pl.col("amount_kind").is_in(kinds), pl.col("titolo").is_in(["1", "2", "3", "4"]))
    assert _totals(result.lines, KEYS) == _totals(expected, KEYS)
    assert result.lines.filter(pl.col("programma") == "10.05")["sheet"].n_unique() == 2


def test_template_keeps_every_chapter_line_with_its_cell(tmp_path, settings, small_budget):
    path = write_sample(tmp_path, small_budget, "template")
    result = validate_file(path, settings)
    assert result.layout == "template" and result.findings == []
    assert result.lines.height == small_budget.height
    assert result.lines["amount_cents"].sum() == small_budget["amount_cents"].sum()
    first = result.lines.row(0, named=True)
    assert (first["sheet"], first["cell"], first["source_row"]) == ("Dati", "F6", 6)
    assert first["capitolo"] == small_budget["capitolo"][0]


@pytest.mark.parametrize("phase", ["previsione", "rendiconto"])
def test_open_format_matrix_body_and_year_from_file_name(tmp_path, settings, phase):
    lines = generate_budget("036", 2024, phase)
    path = write_sample(tmp_path, lines, "open_format_matrix")
    assert path.read_bytes().count(b"\r\n") > 30  # CRLF, latin-1 like the real exports
    result = validate_file(path, settings)
    assert result.layout == "open_format_matrix" and result.findings == []
    kinds = list(OPEN_FORMAT_KINDS[phase])
    expected = with_total_payments(aggregate(lines)).filter(
        pl.col("amount_kind").is_in(kinds), pl.col("titolo").is_in(["1", "2", "3", "4", "7"])
    )
    keys = ["missione", "titolo", "macroaggregato", "amount_kind"]
    assert _totals(result.lines, keys) == _totals(expected, keys)
    assert result.lines["programma"].null_count() == result.lines.height  # mission level only


def test_bdap_file_yields_every_province_and_skips_comuni(tmp_path, settings):
    budgets = [generate_budget(body, 2024, "rendiconto") for body in ("237", "002", "036")]
    path = write_bdap(budgets, tmp_path / "2024_Rendiconto_SDB_Spese_Riepilogo_Missioni.csv")
    result = validate_file(path, settings)
    assert result.layout == "bdap_missions" and result.findings == []
    assert sorted(result.lines["body"].unique()) == ["002", "036", "237"]
    impegni = result.lines.filter(pl.col("body") == "237", pl.col("amount_kind") == "impegni")["amount_cents"].sum()
    truth = budgets[0].filter(
        pl.col("amount_kind") == "impegni", pl.col("titolo").is_in(["1", "2", "3", "4", "5", "7"])
    )
    assert abs(impegni - truth["amount_cents"].sum()) <= impegni_rounding(truth)


def impegni_rounding(truth: pl.DataFrame) -> int:
    """BDAP prints each mission total with two decimals: at most half a cent per mission."""
    return truth["missione"].n_unique()


def test_bdap_body_selected_by_code(tmp_path, settings):
    budgets = [generate_budget(body, 2024, "previsione") for body in ("237", "002")]
    path = write_bdap(budgets, tmp_path / "bdap.csv")
    result = validate_file(path, settings, body="BO")
    assert result.ok and result.lines["body"].unique().to_list() == ["237"]
    missing = validate_file(path, settings, body="RM")
    assert [f.code for f in missing.findings] == ["BDAP_NO_BODY"]
