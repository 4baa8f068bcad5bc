"""What changed since the previous year (issue 16, part 2): every change with its reason in words.

The pure comparison runs on hand-made states; end to end, two years of one body go through the Dagster
assets and the workbook gets its "Cosa è cambiato" sheet, the page its section, ``areavasta diff`` its table.
"""

from __future__ import annotations

import polars as pl
import pytest

from pipelines.changes import change_words, labels
from transforms.changes import only_coarse, what_changed

WEIGHTS = {
    "size": 0.25,
    "manoeuvrability": 0.20,
    "transformation": 0.25,
    "peer_gap": 0.15,
    "trend": 0.05,
    "status": 0.10,
}
BASE = {
    "function": "10.05",
    "name": "Viabilità",
    "total_cents": 10_000_000_00,
    "quadrant": "direct",
    "transfer_share": 0.30,
    "authority": 0.20,
    "spending_threshold": 0.5,
    "authority_threshold": 0.5,
    "cost_basis": "direct",
    "status": "retained",
    "coarse": False,
    "tier": 2,
    "score": 50.0,
    "flags": ["co_produce"],
    "plan_kind": "development",
    "c_size": 0.5,
    "c_manoeuvrability": 0.5,
    "c_transformation": 1.0,
    "c_peer_gap": 0.2,
    "c_trend": 0.5,
    "c_status": 0.3,
}


def frame(*rows: dict) -> pl.DataFrame:
    return pl.DataFrame([{**BASE, **r} for r in rows], schema_overrides={"flags": pl.List(pl.String), "tier": pl.Int8})


def compare(before: list[dict], after: list[dict], lang: str = "it") -> pl.DataFrame:
    return what_changed(frame(*before), frame(*after), (2024, 2025), change_words()[lang], labels(lang), WEIGHTS)


def test_a_transfer_share_crossing_the_threshold_is_the_reason_for_a_new_quadrant():
    [row] = compare([{}], [{"transfer_share": 0.62, "quadrant": "indirect"}]).rows(named=True)
    assert (row["change"], row["before"], row["after"]) == ("quadrant", "servizi diretti", "servizi indiretti")
    assert row["reason"] == "La quota di trasferimenti è passata dal 30\u00a0% al 62\u00a0% (soglia 50\u00a0%)."
    [row] = compare([{}], [{"transfer_share": 0.62, "quadrant": "indirect"}], "en").rows(named=True)
    assert row["reason"] == "The transfer share moved from 30% to 62% (threshold 50%)."


def test_a_threshold_moved_by_the_planner_is_named_not_the_numbers():
    [row] = compare(
        [{"quadrant": "allocation", "authority": 0.55}],
        [{"quadrant": "indirect", "authority": 0.55, "authority_threshold": 0.6}],
    ).rows(named=True)
    assert row["reason"] == "La soglia del grado di autorità è passata da 0,50 a 0,60."  # the measure did not move
    [row] = compare([{"quadrant": "direct"}], [{"quadrant": "regulation", "cost_basis": "full"}]).rows(named=True)
    assert "La base di costo è passata da «costo diretto» a «costo pieno»" in row["reason"]


def test_a_tier_change_names_the_component_that_moved_the_score():
    [row] = compare([{}], [{"tier": 1, "score": 58.0, "c_peer_gap": 0.8}]).rows(named=True)
    assert (row["change"], row["before"], row["after"]) == ("tier", "priorità medio-alta", "priorità alta")
    # peer gap 0.2 -> 0.8 with weight 0.15 of 1.00: +9 points
    assert row["reason"] == "Punteggio da 50 a 58: soprattutto la componente «scarto dagli enti simili» (+9,0 punti)."
    [row] = compare([{"c_peer_gap": None}], [{"tier": 3, "score": 44.0}]).rows(named=True)
    assert (
        "componenti entrate nel punteggio nel 2025, prima non misurabili: «scarto dagli enti simili» (0,20)"
        in row["reason"]
    )
    [row] = compare([{}], [{"tier": 1, "score": 49.0, "c_size": 0.46}]).rows(named=True)
    assert row["reason"].endswith(
        "la fascia è relativa alle altre funzioni dell'ente (quartili dei punteggi), che si sono mosse di più."
    )


def test_plans_flags_new_and_gone_functions():
    rows = compare(
        [{}, {"function": "04.02", "name": "Scuole"}, {"function": "09.03", "name": "Rifiuti", "plan_kind": None}],
        [
            {"plan_kind": "handover", "status": "transferred"},
            {"function": "09.03", "name": "Rifiuti", "plan_kind": None, "flags": ["co_produce", "protect"]},
            {"function": "12.04", "name": "Disagio"},
        ],
    )
    by = {(r["function"], r["change"]): r for r in rows.iter_rows(named=True)}
    assert set(by) == {("10.05", "plan"), ("09.03", "flags"), ("12.04", "new"), ("04.02", "gone")}
    assert by[("10.05", "plan")]["reason"] == (
        "Da progetto di sviluppo a piano di cessione al titolare: lo stato della funzione "
        "è passato da «mantenuta» a «trasferita»."
    )
    assert by[("09.03", "flags")]["reason"].startswith("Nuova: Proteggere")
    assert (
        by[("12.04", "new")]["reason"]
        == "Nel 2025 la funzione ha una spesa di 10.000.000,00\xa0€; nel 2024 non ne aveva."
    )
    assert rows["change"].to_list() == ["plan", "flags", "new", "gone"]  # what matters most first


def test_nothing_changed_and_mission_level_years_say_so():
    assert compare([{}], [{"total_cents": 12_000_000_00, "score": 51.0}]).is_empty()
    assert only_coarse(frame({"coarse": True})) and not only_coarse(frame({}))


@pytest.fixture(scope="module")
def two_years(tmp_path_factory):
    """Bologna's generated 2024 and 2025 final accounts (template), through every asset."""
    import dagster as dg

    from pipelines.runner import run_pipeline
    from sources.samples.budget import generate_budget
    from sources.template import write_template
    from tests.conftest import settings_for
    from warehouse.ingest import ingest_files

    home = tmp_path_factory.mktemp("changes")
    settings = settings_for(home)
    files = [
        write_template(
            home / f"237_{y}_rendiconto.xlsx", "237", y, "rendiconto", generate_budget("237", y, "rendiconto")
        )
        for y in (2024, 2025)
    ]
    assert all(o.status == "accepted" for o in ingest_files(files, settings, user="test"))
    assert all(r.success for r in run_pipeline(dg.DagsterInstance.ephemeral(), [2024, 2025], home=str(home)))
    return settings


def test_the_workbook_and_the_page_show_what_changed(two_years):
    import openpyxl

    settings = two_years
    book = openpyxl.load_workbook(settings.outputs_dir / "reports" / "237_2025_rendiconto.xlsx")
    assert book.sheetnames[1] == "Cosa è cambiato"
    sheet = [r for r in book["Cosa è cambiato"].iter_rows(values_only=True)]
    assert sheet[0][0] == "Cosa è cambiato rispetto al 2024"
    first = book["Cosa è cambiato"]["A1"].value
    assert first and "2024" in first
    earlier = openpyxl.load_workbook(settings.outputs_dir / "reports" / "237_2024_rendiconto.xlsx")["Cosa è cambiato"]
    assert earlier["B2"].value is None and "Nessun esercizio precedente" in earlier["A2"].value
    page = (settings.outputs_dir / "dashboards" / "237_2025_rendiconto.html").read_text(encoding="utf-8")
    assert 'id="changes"' in page and "Cosa è cambiato rispetto al 2024" in page


def test_areavasta_diff_prints_the_same_comparison(two_years, monkeypatch):
    from typer.testing import CliRunner

    from cli.main import app

    monkeypatch.setenv("AREAVASTA_HOME", str(two_years.home))
    result = CliRunner().invoke(app, ["diff", "--body", "BO", "--year", "2025"], env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    assert "Città metropolitana di Bologna - rendiconto 2025: Cosa è cambiato rispetto al 2024" in result.output
    assert CliRunner().invoke(app, ["diff"]).exit_code == 2
