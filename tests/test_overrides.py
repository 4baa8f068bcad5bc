"""A body's changes to the authority catalogue: read, validated, kept with who and when, shown with the result."""

from __future__ import annotations

import dagster as dg
import polars as pl
from typer.testing import CliRunner

from cli.main import app
from pipelines import stages
from pipelines.classification import run_classification, stored_classification
from pipelines.runner import run_pipeline
from sources.intake import validate_file
from sources.overrides import read_yaml
from sources.samples.budget import generate_budget
from tests import malformed as m
from tests.conftest import write_sample
from warehouse import store as warehouse
from warehouse.ingest import ingest_files

SHEET = "Override autorità"


def test_yaml_overrides_change_the_score_and_are_shown(tmp_path):
    path = tmp_path / "modifiche.yaml"
    path.write_text(
        'body: "VC"\noverrides:\n'
        '  - {programma: "10.05", attribute: controlli_sanzioni, value: 3, reason: "vigilanza stradale", author: '
        "m.rossi, date: 2026-03-01}\n"
        '  - {programma: "16.02", status: mantenuta, reason: "riattribuita dalla Regione"}\n',
        encoding="utf-8",
    )
    overrides, findings = read_yaml(path, user="planner")
    assert findings == []
    assert overrides.select("programma", "attribute", "value").rows() == [
        ("10.05", "controls", "3"),
        ("16.02", "status", "retained"),
    ]
    result = run_classification(generate_budget("002", 2025, "rendiconto"), overrides)
    roads = result.functions.filter(pl.col("function") == "10.05").row(0, named=True)
    assert (
        roads["controls"] == 3 and abs(roads["authority"] - (0.6 + 0.4 * (0.5 / 3 + 0.75 / 3 + 0.3 / 3) - 0.1)) < 1e-9
    )
    assert roads["override_note"] == "controls=3 (vigilanza stradale; m.rossi, 2026-03-01)"
    hunting = result.functions.filter(pl.col("function") == "16.02").row(0, named=True)
    assert hunting["status"] == "retained" and "planner" in hunting["override_note"]


def test_yaml_override_without_reason_is_refused(tmp_path):
    path = tmp_path / "x.yaml"
    path.write_text(
        'body: "002"\noverrides:\n  - {programma: "10.05", attribute: controls, value: 3}\n  - {programma: "10.05", '
        "attribute: poteri, value: 2, reason: r}\n"
        '  - {programma: "10.05", attribute: controls, value: 7, reason: r}\n  - {programma: "99.99", status: '
        "trasferita, reason: r}\n",
        encoding="utf-8",
    )
    _, findings = read_yaml(path, user="x")
    assert [(f.code, f.cell) for f in findings] == [
        ("OVERRIDE_REASON_MISSING", "#1"),
        ("OVERRIDE_ATTRIBUTE_UNKNOWN", "#2"),
        ("OVERRIDE_VALUE_INVALID", "#3"),
        ("PROGRAMME_UNKNOWN", "#4"),
    ]


def test_template_override_sheet_is_loaded_with_the_file(tmp_path, settings):
    good = write_sample(tmp_path, generate_budget("002", 2025, "rendiconto"), "template")
    path = m.edit_xlsx(
        good,
        tmp_path / "con_modifiche.xlsx",
        SHEET,
        {
            "A4": "10.05 - Viabilità e infrastrutture stradali",
            "B4": "controlli_sanzioni",
            "C4": 3,
            "E4": "vigilanza con la polizia provinciale",
            "A5": "16.02",
            "D5": "mantenuta",
            "E5": "riattribuita dalla Regione",
            "F5": "l.bianchi",
        },
    )
    [outcome] = ingest_files([path], settings, user="ufficio.ragioneria")
    assert outcome.status == "accepted", outcome.validation.findings
    run_pipeline(dg.DagsterInstance.ephemeral(), [2025], home=str(settings.home), stages=("body_1",))
    with warehouse.connect(settings.warehouse_path) as con:
        stored = warehouse.authority_overrides(con)
        result = stored_classification(con, stages.present_keys(con))
    assert stored.select("programma", "attribute", "author").rows() == [
        ("10.05", "controls", "ufficio.ragioneria"),
        ("16.02", "status", "l.bianchi"),
    ]
    roads = result.functions.filter(pl.col("function") == "10.05").row(0, named=True)
    assert roads["controls"] == 3 and "vigilanza" in roads["override_note"]


def test_template_override_without_reason_rejects_the_file(tmp_path, settings):
    good = m.template(tmp_path / "g.xlsx")
    path = m.edit_xlsx(
        good, tmp_path / "senza_motivo.xlsx", SHEET, {"A4": "10.05", "B4": "controlli_sanzioni", "C4": 3}
    )
    result = validate_file(path, settings)
    assert [(f.code, f.sheet, f.cell) for f in result.findings] == [("OVERRIDE_REASON_MISSING", SHEET, "A4")]


def test_classify_command(tmp_path, settings):
    ingest_files([write_sample(tmp_path, generate_budget("237", 2025, "rendiconto"), "annex_amount_kinds")], settings)
    runner = CliRunner()
    result = runner.invoke(app, ["classify", "--body", "BO", "-o", str(tmp_path / "out")], terminal_width=240)
    assert result.exit_code == 0, result.output
    # the quadrant's name (it may wrap in its column: xdist's workers print 80 columns wide), never its key
    assert "allocazione" in result.output and "allocation" not in result.output and "≈" in result.output
    functions = pl.read_csv(
        tmp_path / "out" / "functions.csv", schema_overrides={"function": pl.String, "body": pl.String}
    )
    assert functions.filter(pl.col("function") == "10.02")["quadrant"].to_list() == ["allocation"]
    with warehouse.connect(settings.warehouse_path) as con:
        recorded = set(
            warehouse.read_table(con, "run_manifests").filter(pl.col("asset") == "ruffini_matrix")["manifest_id"]
        )
    assert (
        functions["manifest"].n_unique() == 1 and functions["manifest"][0] in recorded
    )  # the CSV names its manifest (issue 16)
    moved = runner.invoke(
        app,
        ["classify", "--body", "BO", "--authority-threshold", "0.9", "-o", str(tmp_path / "out2"), "--lang", "en"],
        terminal_width=240,
    )
    assert moved.exit_code == 0 and "allocation services" not in moved.output and "indirect services" in moved.output
    empty = runner.invoke(app, ["classify", "--body", "RM"])
    assert empty.exit_code == 1


def test_the_templates_dropdown_words_are_read_back():
    from sources.overrides import parse_rows
    from sources.template import AUTHORITY_ATTRIBUTES, STATUSES

    rows = [
        {"programma": "10.05", "attribute": word, "value": 1, "reason": "prova", "_cell": f"B{i}"}
        for i, word in enumerate(AUTHORITY_ATTRIBUTES, 4)
    ]
    rows += [
        {"programma": "19.01", "status": word, "reason": "prova", "_cell": f"D{i}"}
        for i, word in enumerate(STATUSES, 20)
    ]
    overrides, findings = parse_rows(rows, "002", "modello.xlsx", "Override autorità", "ufficio", "2026-11-24")
    assert findings == []
    assert set(overrides["attribute"]) >= {"controls", "allocation", "legal_mandate", "own_funding", "status"}
    assert "non_fundamental" in overrides.filter(overrides["attribute"] == "status")["value"].to_list()
    assert not [w for w in AUTHORITY_ATTRIBUTES + STATUSES if "_" in w]  # words, not keys, in the drop-downs
