"""The command line as an operator uses it: exit codes, Italian by default, English on request."""

from __future__ import annotations

import json

import openpyxl
from typer.testing import CliRunner

from cli.main import app
from tests import malformed as m
from tests.conftest import write_sample

runner = CliRunner()


def test_template_command_writes_a_fillable_workbook(tmp_path, settings):
    out = tmp_path / "modello.xlsx"
    result = runner.invoke(
        app, ["template", "--body", "037", "--year", "2026", "--phase", "previsione", "-o", str(out)]
    )
    assert result.exit_code == 0, result.output
    workbook = openpyxl.load_workbook(out)
    assert workbook.sheetnames == ["Istruzioni", "Dati", "Esempio", "Override autorità", "Elenchi"]
    data = workbook["Dati"]
    assert (
        data["B1"].value == "237 - Città metropolitana di Bologna"
        and data["B2"].value == 2026
        and data["B3"].value == "previsione"
    )
    assert [c.value for c in data[5]][:6] == [
        "Missione",
        "Programma",
        "Titolo",
        "Macroaggregato",
        "Tipo importo",
        "Importo",
    ]
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
    result = runner.invoke(
        app,
        ["template", "--body", "Atlantide", "--year", "2026", "--phase", "previsione", "-o", str(tmp_path / "x.xlsx")],
    )
    assert result.exit_code == 2 and "sconosciuto" in result.output


def test_validate_exit_codes_and_json(tmp_path, settings, small_budget):
    good = write_sample(tmp_path, small_budget, "template")
    assert runner.invoke(app, ["validate", str(good)]).exit_code == 0
    bad = m.edit_xlsx(m.template(tmp_path / "g.xlsx"), tmp_path / "bad.xlsx", "Dati", {"B6": "10.99"})
    report = tmp_path / "rilievi.json"
    result = runner.invoke(app, ["validate", str(bad), "--json", str(report)], terminal_width=200)
    assert result.exit_code == 1
    assert "errore, cella B6, foglio Dati: Programma '10.99' inesistente" in result.output
    assert (
        "PROGRAMME_UNKNOWN" not in result.output and "template" not in result.output
    )  # the code is for --json; words here
    [finding] = json.loads(report.read_text())
    assert (finding["code"], finding["sheet"], finding["cell"], finding["severity"]) == (
        "PROGRAMME_UNKNOWN",
        "Dati",
        "B6",
        "error",
    )


def test_validate_in_english(tmp_path, settings):
    bad = m.edit_xlsx(m.template(tmp_path / "g.xlsx"), tmp_path / "bad.xlsx", "Dati", {"F6": "mille euro"})
    result = runner.invoke(app, ["validate", str(bad), "--lang", "en"], terminal_width=200)
    assert result.exit_code == 1 and "is not a number" in result.output and "rejected" in result.output


def test_ingest_summary_and_rerun(tmp_path, settings, small_budget):
    good = write_sample(tmp_path, small_budget, "template")
    first = runner.invoke(app, ["ingest", str(good), "--user", "test"], terminal_width=200)
    from transforms.figures import number

    assert first.exit_code == 0 and "caricato" in first.output and number(small_budget.height) in first.output
    assert str(small_budget.height) not in first.output  # 1.312 righe, the Italian way
    again = runner.invoke(app, ["ingest", str(good)], terminal_width=200)
    assert again.exit_code == 0 and "già presente" in again.output


def test_ingest_with_a_rejected_file_exits_1(tmp_path, settings):
    bad = m.edit_xlsx(m.template(tmp_path / "g.xlsx"), tmp_path / "bad.xlsx", "Dati", {"A6": "77"})
    result = runner.invoke(app, ["ingest", str(bad)], terminal_width=200)
    assert result.exit_code == 1 and "respinto" in result.output and "MISSION_UNKNOWN" not in result.output
    assert "Missione" in result.output and "errore" in result.output


def test_missing_file_is_a_usage_error(tmp_path):
    assert runner.invoke(app, ["validate", str(tmp_path / "nope.xlsx")]).exit_code == 2


def test_sample_command_writes_every_layout(tmp_path):
    result = runner.invoke(
        app, ["sample", "-o", str(tmp_path), "--bodies", "VC", "--years", "2025", "--phases", "rendiconto"]
    )
    assert result.exit_code == 0
    names = sorted(p.name for p in tmp_path.iterdir())
    assert names == [
        "002_2025_rendiconto_annex_amount_kinds.xlsx",
        "002_2025_rendiconto_annex_macroaggregates.xlsx",
        "002_2025_rendiconto_open_format_matrix.csv",
        "002_2025_rendiconto_template.xlsx",
        "002_2025_valutazioni.xlsx",
        "bdap_2025_rendiconto_riepilogo_missioni.csv",
    ]


def test_mapping_command_writes_the_skeleton_checks_the_filled_one_and_ingest_uses_it(tmp_path, settings):
    from pathlib import Path

    source = Path(__file__).parent / "fixtures" / "official" / "rendiconto_2023_formato_aperto_colonna_ignota.csv"
    named = tmp_path / "029_2023_rendiconto_export.csv"
    named.write_bytes(source.read_bytes())
    assert runner.invoke(app, ["ingest", str(named)]).exit_code == 1
    skeleton = tmp_path / "mappa.yaml"
    result = runner.invoke(app, ["mapping", str(named), "-o", str(skeleton)])
    assert result.exit_code == 0 and "voci" in result.output and skeleton.exists()
    text = skeleton.read_text(encoding="utf-8")
    assert "può essere" in text and "Soccorso civile" in text
    # an empty entry, then a wrong mission (totals do not reconcile), are refused and nothing is kept
    refused = runner.invoke(app, ["mapping", str(named), "--apply", str(skeleton)])
    assert refused.exit_code == 1 and "da compilare" in refused.output
    skeleton.write_text(text.replace(": {}\n", ': {missione: "01"}\n', 1), encoding="utf-8")
    wrong = runner.invoke(app, ["mapping", str(named), "--apply", str(skeleton), "--lang", "en"])
    assert wrong.exit_code == 1 and "not saved" in wrong.output
    skeleton.write_text(text.replace(": {}\n", ': {missione: "10"}\n', 1), encoding="utf-8")
    applied = runner.invoke(app, ["mapping", str(named), "--apply", str(skeleton), "--user", "rossi"])
    assert applied.exit_code == 0 and "salvata" in applied.output
    loaded = runner.invoke(app, ["ingest", str(named)])
    assert loaded.exit_code == 0 and "caricato" in loaded.output


def test_revenue_export_is_ingested_from_the_command_line(tmp_path, settings):
    from pathlib import Path

    import duckdb

    source = Path(__file__).parent / "fixtures" / "official" / "rendiconto_2023_formato_aperto_entrate.csv"
    result = runner.invoke(app, ["ingest", str(source), "--body", "201", "--year", "2023", "--phase", "rendiconto"])
    assert result.exit_code == 0, result.output
    with duckdb.connect(str(settings.warehouse_path), read_only=True) as con:
        assert con.execute("SELECT count(DISTINCT tipologia) FROM core.revenue_lines").fetchone()[0] > 15


def test_sample_into_a_folder_that_does_not_exist_yet(tmp_path):
    target = tmp_path / "nuova" / "cartella"
    result = runner.invoke(
        app,
        [
            "sample",
            "--layouts",
            "bdap_missions",
            "--bodies",
            "237",
            "--years",
            "2025",
            "--phases",
            "rendiconto",
            "-o",
            str(target),
        ],
    )
    assert result.exit_code == 0, result.output
    assert [p.name for p in target.iterdir()] == ["bdap_2025_rendiconto_riepilogo_missioni.csv"]


def test_classify_after_a_run_with_overrides_and_unexplained_rows_prints_without_traceback(tmp_path, settings):
    """Regression: a null explanation beside an override note raised a TypeError in the table printer."""
    import polars as pl

    from cli.classified import print_classification
    from transforms.classification import Classification

    functions = pl.DataFrame(
        {
            "body": ["237"],
            "year": [2025],
            "phase": ["rendiconto"],
            "function": ["99.01"],
            "quadrant": [None],
            "transfer_share": [None],
            "authority": [None],
            "borderline": [None],
            "override_note": ["modificato"],
            "explanation_it": [None],
            "explanation_en": [None],
        }
    )
    print_classification(Classification(functions, pl.DataFrame(), pl.DataFrame(), pl.DataFrame(), {}), "it")


def test_help_and_usage_errors_speak_italian_and_english_on_request(monkeypatch):
    monkeypatch.delenv("AREAVASTA_LANG", raising=False)
    italian = runner.invoke(app, ["ingest", "--help"], terminal_width=100).output
    assert "Uso:" in italian and "Opzioni" in italian and "Mostra questo aiuto ed esce." in italian
    assert not [
        w for w in ("Usage", "Options", "Show this message", "<str>", "<list", "<int>", "<bool>") if w in italian
    ]
    missing = runner.invoke(app, ["ingest"], terminal_width=100).output
    assert "Manca l'argomento 'files'." in missing and "Missing" not in missing
    english = runner.invoke(app, ["--lang", "en", "ingest", "--help"], terminal_width=100).output
    assert "Usage:" in english and "Show this message and exit." in english
    assert (
        "Uso:" in runner.invoke(app, ["ingest", "--help"], terminal_width=100).output
    )  # one command's language does not stick


def test_lang_is_global_and_read_from_the_environment(tmp_path, settings, monkeypatch):
    path = tmp_path / "vuoto.csv"
    path.write_text("niente\n", encoding="utf-8")
    assert "respinto" in runner.invoke(app, ["validate", str(path)]).output
    assert "rejected" in runner.invoke(app, ["--lang", "en", "validate", str(path)]).output
    monkeypatch.setenv("AREAVASTA_LANG", "en")
    assert "rejected" in runner.invoke(app, ["validate", str(path)]).output


def test_english_messages_whichever_way_the_language_is_given(tmp_path, settings):
    """--lang after the command, --lang before it, or nothing (Italian): everything the command prints follows."""
    bad = tmp_path / "vuoto.csv"
    bad.write_text("niente\n", encoding="utf-8")
    after = runner.invoke(app, ["ingest", str(bad), "--lang", "en"], terminal_width=120).output
    assert "Warehouse:" in after and "Magazzino" not in after and "rejected" in after
    template = tmp_path / "modello.xlsx"
    before = runner.invoke(
        app,
        ["--lang", "en", "template", "--body", "002", "--year", "2026", "--phase", "previsione", "-o", str(template)],
    )
    assert "Template written" in before.output and "Modello scritto" not in before.output
    italian = runner.invoke(
        app, ["template", "--body", "002", "--year", "2026", "--phase", "previsione", "-o", str(template)]
    ).output
    assert "Modello scritto" in italian  # the English of the commands before does not stick


def test_every_command_and_option_has_its_english_help():
    import typer.main
    import yaml

    from cli.language import command_help
    from sources.reference import DATA_DIR

    english = yaml.safe_load((DATA_DIR / "cli_words.yaml").read_text(encoding="utf-8"))["en_help"]

    def texts(command):
        yield command.help
        yield from (p.help for p in command.params)
        for sub in (getattr(command, "commands", {}) or {}).values():
            yield from texts(sub)

    command = typer.main.get_command(app)
    assert [t for t in texts(command) if t and " ".join(t.split()) not in english] == []
    command_help(command, "en")
    assert not [t for t in texts(command) if t and " ".join(t.split()) in english]  # all replaced
    output = runner.invoke(app, ["--lang", "en", "ingest", "--help"], terminal_width=100).output
    assert "Archive and load the files" in output and "Who is loading" in output and "Archivia" not in output


def test_help_in_english_with_lang_after_the_command():
    """The console script reads --lang before click prints a command's help, wherever --lang stands."""
    import subprocess
    import sys

    script = (
        "import sys; from cli.main import main; sys.argv = ['areavasta', 'ingest', '--help', '--lang', 'en']; main()"
    )
    output = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, env={"COLUMNS": "100", "PATH": ""}
    ).stdout
    assert "Usage:" in output and "Archive and load" in output and "Uso:" not in output


def test_the_command_line_starts_without_the_heavy_libraries():
    """``areavasta --help`` answers fast (issue 28): Dagster, Altair, DuckDB, pandera and the portal are imported by the
    commands that use them, never when the command line starts."""
    import subprocess
    import sys

    script = (
        "import cli.main, sys; print(sorted(m for m in sys.modules "
        "if m.split('.')[0] in {'dagster','altair','duckdb','pandera','starlette'}))"
    )
    done = subprocess.run([sys.executable, "-c", script], check=False, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"


def test_the_list_of_commands_reads_each_description_as_one_sentence():
    """A docstring's line breaks (kept at 120 characters in the source) never split a description in the list."""
    shown = runner.invoke(app, ["--help"], env={"COLUMNS": "400", "AREAVASTA_LANG": "it"}).output
    assert "scrive la mappa da compilare, oppure (--apply) la verifica sul file" in shown
    assert "co-valutazione compilati (xlsx o csv): controllati come i bilanci" in shown
