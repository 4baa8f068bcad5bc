"""Run manifests (issue 16, part 2): every output names what it was computed from, reruns are byte-identical,
and two runs can be compared with the reason in words.

One pipeline in a temporary home: Bologna 2024 and 2025 (generated template files), run first with a
transfer-share threshold of 40 %, then with the shipped rules.
"""

from __future__ import annotations

import json

import dagster as dg
import openpyxl
import polars as pl
import pytest
from hypothesis import given
from hypothesis import strategies as st

from warehouse import manifest
from warehouse import store as warehouse


@pytest.fixture(scope="module")
def home(tmp_path_factory):
    from pipelines.runner import run_pipeline
    from sources.samples.budget import generate_budget
    from sources.template import write_template
    from tests.conftest import settings_for
    from warehouse.ingest import ingest_files

    home = tmp_path_factory.mktemp("manifest")
    settings = settings_for(home)
    files = [
        write_template(
            home / f"237_{y}_rendiconto.xlsx", "237", y, "rendiconto", generate_budget("237", y, "rendiconto")
        )
        for y in (2024, 2025)
    ]
    assert all(o.status == "accepted" for o in ingest_files(files, settings, user="test"))
    instance = dg.DagsterInstance.ephemeral()
    first = run_pipeline(instance, [2024, 2025], home=str(home), config={"ruffini_matrix": {"spending_threshold": 0.4}})
    second = run_pipeline(instance, [2024, 2025], home=str(home))
    assert all(r.success for r in first + second)
    with warehouse.connect(settings.warehouse_path) as con:
        runs = warehouse.read_table(con, "run_manifests").sort("recorded_at")
    return settings, runs, [r.run_id for r in first], [r.run_id for r in second]


def _report_manifests(runs: pl.DataFrame) -> list[str]:
    return runs.filter(pl.col("asset") == "report_workbooks")["manifest_id"].to_list()


def test_every_asset_of_every_run_records_its_manifest(home):
    settings, runs, first, second = home
    assert set(runs["run_id"]) == set(first + second)  # one per run, none missing
    assert {
        "budget_lines",
        "ruffini_matrix",
        "peer_benchmarks",
        "scenarios",
        "report_workbooks",
        "dashboard_pages",
    } <= set(runs["asset"])
    before, after = _report_manifests(runs)
    assert before != after  # another threshold: another manifest
    stored = json.loads((manifest.folder(settings) / f"{after}.json").read_text(encoding="utf-8"))
    names = {u["original_name"] for u in stored["inputs"]["uploads"]}
    assert names == {"237_2024_rendiconto.xlsx", "237_2025_rendiconto.xlsx"}
    assert all(len(u["sha256"]) == 64 for u in stored["inputs"]["uploads"])
    assert "classification/classification.yaml" in stored["catalogues"] and len(stored["code"]["source_sha256"]) == 64
    first_stored = json.loads((manifest.folder(settings) / f"{before}.json").read_text(encoding="utf-8"))
    assert {p["parameters"] for p in first_stored["parameters"] if p["asset"] == "ruffini_matrix"} == {
        '{"spending_threshold": 0.4}'
    }
    assert {p["parameters"] for p in stored["parameters"] if p["asset"] == "ruffini_matrix"} == {"{}"}
    assert (
        "reports/237_2025_rendiconto.xlsx" in stored["outputs"]
        and "dashboards/237_2025_rendiconto.html" in stored["outputs"]
    )


def test_the_workbook_the_page_and_the_csv_name_their_manifest(home):
    settings, runs, _, _ = home
    after = _report_manifests(runs)[-1]
    book = openpyxl.load_workbook(settings.outputs_dir / "reports" / "237_2025_rendiconto.xlsx")
    assert book.properties.description == f"manifest {after}" or after in str(book.properties.description)
    method = [c for row in book["Metodo"].iter_rows(values_only=True) for c in row if c]
    assert after in method and any(f"areavasta manifest {after}" in str(c) for c in method)
    page = (settings.outputs_dir / "dashboards" / "237_2025_rendiconto.html").read_text(encoding="utf-8")
    assert f"Manifesto dell&#39;esecuzione {after}" in page or f"Manifesto dell'esecuzione {after}" in page
    projection = pl.read_csv(next((settings.outputs_dir / "scenarios").glob("*_projection.csv")))
    scenario_manifests = set(runs.filter(pl.col("asset") == "scenarios")["manifest_id"])
    assert set(projection["manifest"]) <= scenario_manifests and projection["manifest"].n_unique() == 1


def test_the_same_inputs_rules_and_code_give_the_same_manifest(home):
    settings, runs, _, _ = home
    keys = pl.DataFrame({"body": ["237", "237"], "year": [2024, 2025]}, schema={"body": pl.String, "year": pl.Int32})
    with warehouse.connect(settings.warehouse_path) as con:
        assert manifest.build(con, keys).id == manifest.build(con, keys).id == _report_manifests(runs)[-1]


def test_a_rerun_reproduces_every_output_byte_for_byte(home, tmp_path):
    from pipelines.rerun import rerun

    settings, runs, _, _ = home
    stored = json.loads((manifest.folder(settings) / f"{_report_manifests(runs)[-1]}.json").read_text(encoding="utf-8"))
    report = rerun(settings, stored, tmp_path / "again")
    assert not report.refused and len(report.compared) == len(stored["outputs"]) >= 4
    if not report.identical:  # say where: the first differing part and bytes
        import zipfile

        for name, state in report.compared:
            if state == "different" and name.endswith(".xlsx"):
                a, b = zipfile.ZipFile(settings.outputs_dir / name), zipfile.ZipFile(tmp_path / "again" / name)
                for member in a.namelist():
                    x, y = a.read(member), b.read(member)
                    if x != y:
                        i = next(i for i in range(min(len(x), len(y))) if x[i] != y[i])
                        raise AssertionError(f"{name} {member}: {x[i - 150 : i + 80]!r} != {y[i - 150 : i + 80]!r}")
    assert report.identical, [c for c in report.compared if c[1] != "identical"]
    assert (tmp_path / "again" / "reports" / "237_2025_rendiconto.xlsx").read_bytes() == (
        settings.outputs_dir / "reports" / "237_2025_rendiconto.xlsx"
    ).read_bytes()


def test_a_rerun_is_refused_in_words_when_a_rule_file_changed(home, tmp_path, monkeypatch):
    from pipelines.rerun import rerun

    settings, runs, _, _ = home
    stored = json.loads((manifest.folder(settings) / f"{_report_manifests(runs)[-1]}.json").read_text(encoding="utf-8"))
    edited = {**manifest.catalogue_hashes(), "portfolio/priorities.yaml": "0" * 64}
    monkeypatch.setattr(manifest, "catalogue_hashes", lambda: edited)
    report = rerun(settings, stored, tmp_path / "again")
    assert report.refused == [
        (
            "il file di regole o catalogo portfolio/priorities.yaml è cambiato",
            "rule or catalogue file portfolio/priorities.yaml has changed",
        )
    ]
    assert not report.compared and not (tmp_path / "again").exists()


STATES = st.lists(
    st.tuples(
        st.sampled_from(["reports/237_2025_rendiconto.xlsx", "dashboards/237_2025_rendiconto.html"]),
        st.sampled_from(["identical", "different", "missing"]),
    ),
    max_size=4,
)


@given(STATES, st.booleans())
def test_a_rerun_is_identical_only_when_it_compared_something_and_all_of_it_was(compared, refused):
    from pipelines.rerun import Rerun

    report = Rerun(refused=[("rifiutato", "refused")] if refused else [], compared=compared)
    assert report.identical == (not refused and bool(compared) and all(state == "identical" for _, state in compared))
    assert not Rerun().identical  # nothing compared proves nothing


def test_the_command_never_calls_a_rerun_that_compared_nothing_identical(home, monkeypatch):
    """A manifest whose outputs were never recorded (or all filtered away): 0 of 0 compared is a failure, exit 1."""
    from typer.testing import CliRunner

    from cli.main import app
    from pipelines import rerun

    settings, runs, _, _ = home
    monkeypatch.setattr(rerun, "rerun", lambda settings, stored, target: rerun.Rerun())
    monkeypatch.setenv("AREAVASTA_HOME", str(settings.home))
    result = CliRunner().invoke(app, ["rerun", _report_manifests(runs)[-1], "-o", str(settings.home / "again")])
    assert result.exit_code == 1 and "0 di 0 identici" in result.output, result.output


def test_two_runs_differ_by_the_threshold_and_say_so(home, monkeypatch):
    from typer.testing import CliRunner

    from cli.main import app
    from pipelines.changes import changes_between

    settings, runs, first, _ = home
    before, after = _report_manifests(runs)  # the first run's workbooks are found by its Dagster run id too
    changed = changes_between(
        manifest.load_state(settings, before), manifest.load_state(settings, after), (before, after)
    )
    moved = pl.concat([c.rows for c in changed.values()]).filter(pl.col("change") == "quadrant")
    state = manifest.load_state(settings, after).filter(pl.col("quadrant").is_not_null())
    between = state.filter(pl.col("transfer_share") >= 0.4, pl.col("transfer_share") < 0.5)  # what the threshold moved
    assert moved.height == between.height > 0
    assert set(moved["reason"]) == {"La soglia della quota di trasferimenti è passata dal 40\u00a0% al 50\u00a0%."}
    monkeypatch.setenv("AREAVASTA_HOME", str(settings.home))
    result = CliRunner().invoke(
        app, ["diff", "--run", first[-1][:8], "--run", after, "--year", "2025"], env={"COLUMNS": "220"}
    )
    assert result.exit_code == 0, result.output
    assert "Matrice › Soglia della quota di trasferimenti: da 0,4 a valore dei file" in result.output
    shown = CliRunner().invoke(app, ["manifest", after, "--json"])
    assert shown.exit_code == 0 and json.loads(shown.output)["id"] == after
    assert "237_2025_rendiconto.xlsx" in {u["original_name"] for u in json.loads(shown.output)["inputs"]["uploads"]}
