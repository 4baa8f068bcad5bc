"""Every write in the graph (issue 28): ``areavasta national`` and ``areavasta ratings`` materialise the
``national_lines`` and ``ratings`` assets in process, as ``run`` does, with the same words to the user; a rejected
file is a failed run carrying its findings."""

from __future__ import annotations

import dagster as dg
from typer.testing import CliRunner

from cli.main import app
from pipelines.instance import embedded_instance
from tests.test_coassessment import HEADER as RATINGS_HEADER
from tests.test_national import _torino, write_extract
from warehouse import store as warehouse


def _runs(settings) -> dict[str, list[str]]:
    """Status of the runs of each loader asset in the embedded instance."""
    instance = embedded_instance(settings.home)
    found: dict[str, list[str]] = {}
    for record in instance.get_run_records():
        steps = {e.step_key for e in instance.all_logs(record.dagster_run.run_id) if e.step_key}
        for step in steps:
            found.setdefault(step, []).append(record.dagster_run.status.value)
    return found


def test_areavasta_national_materialises_the_national_lines_asset(tmp_path, settings, monkeypatch):
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path / "dagster"))
    good = write_extract(tmp_path / "2023_Rendiconto SDB Spese Programmi_PIEMONTE.csv", _torino())
    result = CliRunner().invoke(app, ["national", str(good)], env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    assert "caricato" in result.output and "areavasta run --year 2023" in result.output
    with warehouse.connect(settings.warehouse_path, read_only=True) as con:
        assert con.execute("SELECT count(*) FROM core.national_lines").fetchone()[0] > 0
    instance = embedded_instance(settings.home)
    [event] = instance.fetch_materializations(dg.AssetKey("national_lines"), limit=5).records
    metadata = event.asset_materialization.metadata
    assert metadata["file"].value == good.name and metadata["years"].value == [2023]

    bad = write_extract(tmp_path / "rotto.csv", _torino(edits=[(1, "Codice Programma", "0499")]))
    refused = CliRunner().invoke(app, ["national", str(bad)], env={"COLUMNS": "200"})
    assert refused.exit_code == 1 and "respinto" in refused.output and "rotto.csv" in refused.output
    assert _runs(settings)["national_lines"] == ["FAILURE", "SUCCESS"]  # the rejection is a failed run


def test_areavasta_ratings_materialises_the_ratings_asset(tmp_path, settings, monkeypatch):
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path / "dagster"))
    good = tmp_path / "valutazioni.csv"
    good.write_text(RATINGS_HEADER + "\n237;2025;10.05;utente;U1;4;3;4;\n", encoding="utf-8")
    result = CliRunner().invoke(app, ["ratings", str(good)], env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    assert "caricato" in result.output and "237" in result.output
    bad = tmp_path / "fuori.csv"
    bad.write_text(RATINGS_HEADER + "\n237;2025;10.05;utente;U1;9;;;\n", encoding="utf-8")
    refused = CliRunner().invoke(app, ["ratings", str(bad)], env={"COLUMNS": "200"})
    assert refused.exit_code == 1 and "fuori scala" in refused.output
    assert _runs(settings)["ratings"] == ["FAILURE", "SUCCESS"]
