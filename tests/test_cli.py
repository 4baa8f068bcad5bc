"""The command line as an operator uses it: exit codes, Italian by default, English on request."""

from __future__ import annotations

import json

import openpyxl
from typer.testing import CliRunner

from areavasta.cli import app
from tests import malformed as m
from tests.conftest import write_sample

runner = CliRunner()


def test_template_command_writes_a_fillable_workbook(tmp_path, settings):
    out = tmp_path / "modello.xlsx"
    result = runner.invoke(app, ["template", "--body", "037", "--year", "2026", "--phase", "previsione", "-o", str(out)])
    assert result.exit_code == 0, result.output
    workbook = openpyxl.load_workbook(out)
    assert workbook.sheetnames == ["Istruzioni", "Dati", "Esempio", "Override autorità", "Elenchi"]
    data = workbook["Dati"]
    assert data["B1"].value == "237 - Città metropolitana di Bologna" and data["B2"].value == 2026 and data["B3"].value == "previsione"
    assert [c.value for c in data[5]][:6] == ["Missione", "Programma", "Titolo", "Macroaggregato", "Tipo importo", "Importo"]
    assert data.protection.sheet and data["A5"].protection.locked
    filled = openpyxl.load_workbook(m.template(tmp_path / "pieno.xlsx"))["Dati"]
    assert not filled["A6"].protection.locked and not filled["F8"].protection.locked  # officers type below the header
    assert data.freeze_panes == "A6"
    lists = {next(iter(dv.sqref.ranges)).min_col for dv in data.data_validations.dataValidation if dv.type == "list"}
    assert lists == {1, 2, 3, 4, 5}
    assert workbook["Elenchi"].sheet_state == "hidden"
    assert workbook["Override autorità"]["E3"].value.startswith("Motivazione")
    assert "Come compilare" in [c.value for c in workbook["Istruzioni"]["A"]]


def test_template_of_unknown_body_is_a_usage_error(tmp_path):
    result = runner.invoke(app, ["template", "--body", "Atlantide", "--year", "2026", "--phase", "previsione", "-o", str(tmp_path / "x.xlsx")])
    assert result.exit_code == 2 and "sconosciuto" in result.output


def test_validate_exit_codes_and_json(tmp_path, settings, small_budget):
    good = write_sample(tmp_path, small_budget, "template")
    assert runner.invoke(app, ["validate", str(good)]).exit_code == 0
    bad = m.edit_xlsx(m.template(tmp_path / "g.xlsx"), tmp_path / "bad.xlsx", "Dati", {"B6": "10.99"})
    report = tmp_path / "rilievi.json"
    result = runner.invoke(app, ["validate", str(bad), "--json", str(report)], terminal_width=200)
    assert result.exit_code == 1
    assert "PROGRAMME_UNKNOWN" in result.output and "inesistente" in result.output
    [finding] = json.loads(report.read_text())
    assert (finding["code"], finding["sheet"], finding["cell"], finding["severity"]) == ("PROGRAMME_UNKNOWN", "Dati", "B6", "error")


def test_validate_in_english(tmp_path, settings):
    bad = m.edit_xlsx(m.template(tmp_path / "g.xlsx"), tmp_path / "bad.xlsx", "Dati", {"F6": "mille euro"})
    result = runner.invoke(app, ["validate", str(bad), "--lang", "en"], terminal_width=200)
    assert result.exit_code == 1 and "is not a number" in result.output and "rejected" in result.output


def test_ingest_summary_and_rerun(tmp_path, settings, small_budget):
    good = write_sample(tmp_path, small_budget, "template")
    first = runner.invoke(app, ["ingest", str(good), "--user", "test"], terminal_width=200)
    assert first.exit_code == 0 and "caricato" in first.output and str(small_budget.height) in first.output
    again = runner.invoke(app, ["ingest", str(good)], terminal_width=200)
    assert again.exit_code == 0 and "già presente" in again.output


def test_ingest_with_a_rejected_file_exits_1(tmp_path, settings):
    bad = m.edit_xlsx(m.template(tmp_path / "g.xlsx"), tmp_path / "bad.xlsx", "Dati", {"A6": "77"})
    result = runner.invoke(app, ["ingest", str(bad)], terminal_width=200)
    assert result.exit_code == 1 and "respinto" in result.output and "MISSION_UNKNOWN" in result.output


def test_missing_file_is_a_usage_error(tmp_path):
    assert runner.invoke(app, ["validate", str(tmp_path / "nope.xlsx")]).exit_code == 2


def test_sample_command_writes_every_layout(tmp_path):
    result = runner.invoke(app, ["sample", "-o", str(tmp_path), "--bodies", "VC", "--years", "2025", "--phases", "rendiconto"])
    assert result.exit_code == 0
    names = sorted(p.name for p in tmp_path.iterdir())
    assert names == [
        "002_2025_rendiconto_annex_amount_kinds.xlsx", "002_2025_rendiconto_annex_macroaggregates.xlsx",
        "002_2025_rendiconto_open_format_matrix.csv", "002_2025_rendiconto_template.xlsx", "bdap_2025_rendiconto_riepilogo_missioni.csv",
    ]


def test_demo_loads_the_bundled_samples(settings):
    result = runner.invoke(app, ["demo"], terminal_width=200)
    assert result.exit_code == 0, result.output
    assert result.output.count("accepted") == 6 and "warehouse.duckdb" in result.output
