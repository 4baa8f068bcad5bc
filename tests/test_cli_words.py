"""The command line in words (issue 29): quadrant names instead of keys, Italian numbers, ``rerun`` that picks a run
with outputs or says why there is nothing to compare, ``diff`` that keeps codes whole at any width and compares a
forecast with the previous year's final accounts.

One home: Bologna's 2025 final accounts and 2026 forecast (generated templates), run with a transfer threshold of 40 %,
then with the shipped rules, then ``areavasta classify`` (whose manifest records no outputs: the latest one).
"""

from __future__ import annotations

import os
import re
import subprocess
import sys

import dagster as dg
import polars as pl
import pytest
from typer.testing import CliRunner

from cli.main import app
from warehouse import manifest
from warehouse import store as warehouse

runner = CliRunner()
KEYS = {"direct", "regulation", "allocation", "indirect"}
CODE = re.compile(r"^\d{2}\.\d{2}$")


@pytest.fixture(scope="module")
def home(tmp_path_factory):
    from pipelines.runner import run_pipeline
    from sources.samples.budget import generate_budget
    from sources.template import write_template
    from tests.conftest import settings_for
    from warehouse.ingest import ingest_files

    home = tmp_path_factory.mktemp("cliwords")
    settings = settings_for(home)
    files = [
        write_template(home / f"237_{y}_{p}.xlsx", "237", y, p, generate_budget("237", y, p))
        for y, p in ((2025, "rendiconto"), (2026, "previsione"))
    ]
    assert all(o.status == "accepted" for o in ingest_files(files, settings, user="test"))
    instance = dg.DagsterInstance.ephemeral()
    first = run_pipeline(instance, [2025, 2026], home=str(home), config={"ruffini_matrix": {"spending_threshold": 0.4}})
    second = run_pipeline(instance, [2025, 2026], home=str(home))
    assert all(r.success for r in first + second)
    env = {"AREAVASTA_HOME": str(home), "COLUMNS": "250"}
    classified = runner.invoke(app, ["classify", "--body", "237", "--year", "2025"], env=env)
    assert classified.exit_code == 0, classified.output
    with warehouse.connect(settings.warehouse_path) as con:
        runs = warehouse.read_table(con, "run_manifests").sort("recorded_at")
    reports = runs.filter(pl.col("asset") == "report_workbooks")["manifest_id"].unique(maintain_order=True).to_list()
    return settings, runs, reports


def _env(home, columns: int = 250, lang: str = "it") -> dict:
    return {"AREAVASTA_HOME": str(home[0].home), "COLUMNS": str(columns), "AREAVASTA_LANG": lang}


def _cells(output: str, column: int) -> list[str]:
    """One column of the classification tables: the cell of each row that starts with a programme code, with the
    lines it wraps onto (whatever the console's width)."""
    out: list[str] = []
    for line in output.splitlines():
        cells = [c.strip() for c in line.split("│")[1:-1]]
        if len(cells) <= column:
            continue
        if CODE.match(cells[0]):
            out.append(cells[column])
        elif not cells[0] and out and cells[column]:
            out[-1] = f"{out[-1]} {cells[column]}".strip()
    return out


@pytest.mark.parametrize("lang", ["it", "en"])
def test_classify_shows_quadrant_names_from_the_data_file_never_keys(home, lang):
    from sources.catalogues import quadrants

    result = runner.invoke(app, ["classify", "--body", "237", "--year", "2025", "--lang", lang], env=_env(home))
    assert result.exit_code == 0, result.output
    shown = _cells(result.output, 1)
    names = set(quadrants()[f"service_type_{lang}"])
    assert shown and not KEYS & set(shown)
    assert set(shown) - {"—"} <= names and len(set(shown) & names) >= 3
    title = "Città metropolitana di Bologna - rendiconto 2025" if lang == "it" else "final accounts 2025"
    assert title in result.output


def test_classify_numbers_are_italian_or_english_never_mixed(home):
    italian = runner.invoke(app, ["classify", "--body", "237", "--year", "2025"], env=_env(home)).output
    english = runner.invoke(app, ["classify", "--body", "237", "--year", "2025", "--lang", "en"], env=_env(home)).output
    authority_it, authority_en = _cells(italian, 3), _cells(english, 3)
    assert authority_it and all(re.fullmatch(r"\d,\d\d", a) for a in authority_it if a), authority_it
    assert all(re.fullmatch(r"\d\.\d\d", a) for a in authority_en if a), authority_en
    assert all(re.fullmatch(r"\d+(,\d)? %", s) for s in _cells(italian, 2) if s), _cells(italian, 2)
    assert all(re.fullmatch(r"\d+(\.\d)?%", s) for s in _cells(english, 2) if s)
    assert not re.search(r"\d\.\d", "".join(_cells(italian, 5)))  # the explanations too


def test_one_formatter_for_the_numbers_of_every_command():
    from transforms.figures import number

    assert [number(6030), number(0.14, "it", 2), number(1234567.891, "it", 2)] == ["6.030", "0,14", "1.234.567,89"]
    assert [number(6030, "en"), number(0.14, "en", 2), number(-5.25, "en", 1, signed=True)] == ["6,030", "0.14", "-5.2"]
    assert number(None) == "—" and number(0.0, "it", 2) == "0,00"


def test_rerun_latest_picks_the_latest_run_that_recorded_outputs(home, monkeypatch):
    from pipelines import rerun

    settings, runs, reports = home
    latest = runs.row(-1, named=True)["manifest_id"]
    assert latest not in reports  # classify's manifest came last and records no outputs
    chosen = []

    def compute(settings, stored, target):
        chosen.append(stored["id"])
        return rerun.Rerun(compared=[("reports/x.xlsx", "identical")])

    monkeypatch.setattr(rerun, "rerun", compute)
    result = runner.invoke(app, ["rerun", "ultimo", "-o", str(settings.home / "again")], env=_env(home))
    assert result.exit_code == 0, result.output
    assert chosen == [reports[-1]]
    assert f"L'ultimo manifesto ({latest}" in result.output and "non registra risultati" in result.output


def test_rerun_of_a_manifest_without_outputs_says_why_and_exits_6_before_computing(home, monkeypatch):
    from cli.reproducibility import NOTHING_TO_COMPARE_EXIT
    from pipelines import rerun

    _, runs, reports = home
    latest = runs.row(-1, named=True)["manifest_id"]

    def compute(*_):
        raise AssertionError("nothing to compare: no computing")

    monkeypatch.setattr(rerun, "rerun", compute)
    result = runner.invoke(app, ["rerun", latest], env=_env(home))
    assert result.exit_code == NOTHING_TO_COMPARE_EXIT == 6, result.output
    assert "non registra risultati: nulla da confrontare" in result.output
    assert f"areavasta rerun {reports[-1]}" in result.output and "0 di 0" not in result.output
    english = runner.invoke(app, ["rerun", latest, "--lang", "en"], env=_env(home))
    assert english.exit_code == 6 and "recorded no outputs: nothing to compare" in english.output


def test_rerun_with_no_manifest_at_all_says_so(settings, monkeypatch):
    from pipelines import rerun

    monkeypatch.setattr(rerun, "rerun", lambda *_: pytest.fail("no manifest: no computing"))
    result = runner.invoke(app, ["rerun"], env={"AREAVASTA_HOME": str(settings.home), "AREAVASTA_LANG": "it"})
    assert result.exit_code == 6 and "Nessun manifesto" in result.output, result.output


def _areavasta(home, args: list[str], columns: int) -> str:
    """The console script in a terminal of ``columns`` columns (rich reads COLUMNS as a shell would give it)."""
    env = {**os.environ, **_env(home, columns)}
    done = subprocess.run(
        [sys.executable, "-c", "from cli.main import main; main()", *args],
        check=False,
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


@pytest.mark.parametrize("columns", [60, 80, 120])
def test_diff_between_runs_keeps_every_code_whole_at_any_width(home, columns):
    from pipelines.changes import changes_between

    settings, _, reports = home
    before, after = reports[0], reports[-1]
    changed = changes_between(
        manifest.load_state(settings, before), manifest.load_state(settings, after), (before, after)
    )
    codes = set(pl.concat([c.rows for c in changed.values()])["function"])
    assert codes  # the threshold moved some functions
    shown = _areavasta(home, ["diff", "--run", before, "--run", after], columns)
    assert all(len(line) <= columns for line in shown.splitlines() if "│" in line)
    assert not re.search(r"\b\d{2}\.?…", shown), shown  # never "04.…"
    assert codes <= set(re.findall(r"\b\d{2}\.\d{2}\b", shown))


def test_diff_compares_a_forecast_with_the_previous_final_accounts(home):
    env = _env(home, 120)
    result = runner.invoke(app, ["diff", "--body", "237", "--year", "2026"], env=env)
    assert result.exit_code == 0, result.output
    assert "previsione 2026: Cosa cambia rispetto al rendiconto 2025" in result.output
    assert (
        "Confronto tra la previsione 2026 (stanziamento di competenza) e il rendiconto 2025 (impegni)" in result.output
    )
    assert (
        "Nessuna previsione di un esercizio precedente" in result.output and "nulla da confrontare" not in result.output
    )
    asked = runner.invoke(app, ["diff", "--body", "237", "--year", "2026", "--con-rendiconto"], env=env)
    assert asked.exit_code == 0 and "Confronto chiesto con --con-rendiconto" in asked.output
    english = runner.invoke(app, ["diff", "--body", "237", "--year", "2026", "--lang", "en"], env=_env(home, 120, "en"))
    assert (
        "The forecast of 2026, on appropriation (accrual), compared with the final accounts of 2025, on commitments"
        in english.output
    )


def test_the_workbook_and_pages_still_compare_a_forecast_with_forecasts_only(home):
    from pipelines.changes import changes_since_previous

    settings = home[0]
    keys = pl.DataFrame({"body": ["237"], "year": [2026]}, schema={"body": pl.String, "year": pl.Int32})
    with warehouse.connect(settings.warehouse_path) as con:
        found = changes_since_previous(con, keys)
        chosen = changes_since_previous(con, keys, final_accounts="missing")
    assert found[("237", 2026, "previsione")].before is None
    assert chosen[("237", 2026, "previsione")].before == 2025
