"""Co-assessment (issue 16, part 1): ratings by users and Third Sector bodies, checked like budgets, with hand-worked
statistics, through the Dagster assets into the priorities, the plans, the workbook and the page.

Fixtures are written here cell by cell (CSV) or with the questionnaire writer from hand-made rows; the generator
(``sources.samples.ratings``) only feeds the end-to-end run.
"""

from __future__ import annotations

import html
import math

import dagster as dg
import openpyxl
import polars as pl
import pytest
from hypothesis import given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from sources.ratings import read_ratings, t_quantiles
from transforms.coassessment import component, summary, willing
from warehouse import store as warehouse

HEADER = (
    "Ente;Esercizio;Programma;Tipo di rispondente;Codice rispondente;Qualità (1-5);Accessibilità (1-5);"
    "Disponibilità a partecipare (1-5);Note"
)


def ratings(*rows) -> pl.DataFrame:
    return pl.DataFrame(
        [("237", 2025, *r) for r in rows],
        schema={
            "body": pl.String,
            "year": pl.Int32,
            "function": pl.String,
            "respondent_type": pl.String,
            "quality": pl.Int8,
            "accessibility": pl.Int8,
            "willingness": pl.Int8,
        },
        orient="row",
    )


def test_mean_and_t_interval_worked_by_hand():
    stats = summary(
        ratings(("10.05", "utente", 3, 2, 5), ("10.05", "utente", 4, None, 5), ("10.05", "utente", 5, 4, 5)),
        t_quantiles(),
        3,
    )
    row = stats.filter(pl.col("respondent_type") == "utente").row(0, named=True)
    # quality 3, 4, 5: mean 4, sd 1, t(0.975; 2 df) = 4.302653 -> half width 4.302653 / sqrt(3) = 2.484138
    assert (row["n_quality"], row["mean_quality"]) == (3, 4.0)
    assert (
        row["low_quality"] == pytest.approx(4 - 4.302653 / math.sqrt(3)) and row["high_quality"] == 5.0
    )  # cut to the scale
    # accessibility 2, 4 (one left blank): n 2, mean 3, sd sqrt(2), t(1 df) = 12.706205: cut to 1-5
    assert (row["n_accessibility"], row["mean_accessibility"], row["low_accessibility"], row["high_accessibility"]) == (
        2,
        3.0,
        1.0,
        5.0,
    )
    assert row["enough_quality"] and not row["enough_accessibility"]  # min_n = 3
    everyone = stats.filter(pl.col("respondent_type") == "tutti").row(0, named=True)
    assert (
        everyone["n_quality"] == 3 and everyone["mean_willingness"] == 5.0 and everyone["low_willingness"] == 5.0
    )  # sd 0


def test_eleven_ratings_use_ten_degrees_of_freedom():
    values = [1, 2, 2, 3, 3, 3, 4, 4, 4, 5, 5]  # mean 36 / 11, sample sd from the squares
    stats = summary(ratings(*[("04.02", "terzo_settore", v, v, v) for v in values]), t_quantiles(), 10)
    row = stats.filter(pl.col("respondent_type") == "terzo_settore").row(0, named=True)
    mean = sum(values) / 11
    sd = math.sqrt(sum((v - mean) ** 2 for v in values) / 10)
    assert row["mean_quality"] == pytest.approx(mean)
    assert row["high_quality"] - row["mean_quality"] == pytest.approx(2.228139 * sd / math.sqrt(11))
    assert row["enough_quality"]


def test_the_component_and_the_willing_need_enough_ratings():
    rows = (
        [("12.04", "terzo_settore", 2, 3, 5)] * 10
        + [("12.04", "utente", 2, 3, 2)] * 4
        + [("10.05", "utente", 5, 5, 5)] * 3
    )
    stats = summary(ratings(*rows), t_quantiles(), 10)
    c = dict(component(stats).select("function", "c_co_assessment").iter_rows())
    assert c["12.04"] == pytest.approx(1 - (2 - 1) / 4) and c["10.05"] is None  # 3 ratings: not used
    ready = willing(stats, 3.5)
    assert ready.select("function", "respondent_type", "mean_willingness").rows() == [("12.04", "terzo_settore", 5.0)]


@hsettings(max_examples=40, deadline=None)
@given(st.lists(st.integers(1, 5), min_size=2, max_size=40))
def test_the_interval_holds_the_mean_within_the_scale(values):
    stats = summary(ratings(*[("09.05", "utente", v, v, v) for v in values]), t_quantiles(), 10)
    row = stats.filter(pl.col("respondent_type") == "utente").row(0, named=True)
    assert 1 <= row["low_quality"] <= row["mean_quality"] <= row["high_quality"] <= 5


def test_a_bad_questionnaire_is_refused_cell_by_cell(tmp_path, settings):
    text = (
        "\n".join(
            [
                HEADER,
                "237;2025;10.05;Utente del servizio;U001;3;4;5;",
                "237;2025;10.05;utente;U001;6;x;;",
                "999;1999;99.99;marziano;;;;;",
                "BO;2025;1005;Ente del Terzo settore;T01;4;;2;buche",
            ]
        )
        + "\n"
    )
    path = tmp_path / "valutazioni.csv"
    path.write_text(text, encoding="utf-8")
    checked = read_ratings(path, settings)
    assert not checked.ok and checked.ratings.is_empty()
    found = {(f.code, f.cell) for f in checked.findings}
    assert found == {
        ("DUPLICATE_KEY", "E3"),
        ("RATING_OUT_OF_SCALE", "F3"),
        ("RATING_OUT_OF_SCALE", "G3"),
        ("BODY_UNKNOWN", "A4"),
        ("YEAR_IMPLAUSIBLE", "B4"),
        ("PROGRAMME_UNKNOWN", "C4"),
        ("RATING_TYPE_UNKNOWN", "D4"),
        ("RESPONDENT_MISSING", "E4"),
        ("RATING_EMPTY", "F4"),
    }
    scale = next(f for f in checked.findings if f.cell == "F3")
    assert scale.message("it") == "Valutazione '6' per la qualità fuori scala: attesa un numero intero da 1 a 5."
    good = tmp_path / "buone.csv"
    good.write_text("\n".join([HEADER, text.splitlines()[1], text.splitlines()[4]]) + "\n", encoding="utf-8")
    accepted = read_ratings(good, settings)
    assert accepted.ok and accepted.ratings.select(
        "body", "function", "respondent_type", "quality", "accessibility"
    ).rows() == [("237", "10.05", "utente", 3, 4), ("237", "10.05", "terzo_settore", 4, None)]


def test_the_questionnaire_reads_back_and_ingest_points_to_its_command(tmp_path, settings):
    from sources.questionnaire import write_questionnaire
    from warehouse.ingest import ingest_files

    rows = pl.DataFrame(
        {
            "body": ["237"] * 2,
            "year": [2025] * 2,
            "function": ["12.04", "10.05"],
            "respondent_type": ["comunita", "utente"],
            "respondent": ["C1", "U1"],
            "quality": [2, 5],
            "accessibility": [None, 4],
            "willingness": [4, 1],
            "note": [None, "ok"],
        }
    )
    path = write_questionnaire(tmp_path / "q.xlsx", "237", 2025, rows)
    back = read_ratings(path, settings)
    assert back.ok and back.ratings.sort("function").select(
        "function", "respondent_type", "quality", "note"
    ).rows() == [("10.05", "utente", 5, "ok"), ("12.04", "comunita", 2, None)]
    assert back.ratings["sheet"].unique().to_list() == ["Valutazioni"]
    assert (
        read_ratings(write_questionnaire(tmp_path / "vuoto.xlsx", "237", 2025), settings).findings[0].code
        == "RATINGS_NO_ROWS"
    )
    [outcome] = ingest_files([path], settings, user="test")
    assert outcome.status == "rejected" and [f.code for f in outcome.validation.findings] == ["RATINGS_FILE"]


@pytest.fixture(scope="module")
def rated(tmp_path_factory):
    """Bologna 2025: a template budget and the generated questionnaire, through every asset; then again with the
    co-assessment weighed in the score."""
    from pipelines.loaders import materialise_ratings
    from pipelines.runner import run_pipeline
    from sources.questionnaire import write_questionnaire
    from sources.samples.budget import generate_budget
    from sources.samples.ratings import generate_ratings
    from sources.template import write_template
    from tests.conftest import settings_for
    from warehouse.ingest import ingest_files

    home = tmp_path_factory.mktemp("coassessment")
    settings = settings_for(home)
    budget = write_template(
        home / "237_2025_rendiconto.xlsx", "237", 2025, "rendiconto", generate_budget("237", 2025, "rendiconto")
    )
    assert ingest_files([budget], settings, user="test")[0].status == "accepted"
    loaded = materialise_ratings(  # the ratings asset, as areavasta ratings materialises it
        write_questionnaire(home / "237_2025_valutazioni.xlsx", "237", 2025, generate_ratings("237", 2025)), settings
    )
    assert loaded.ok
    instance = dg.DagsterInstance.ephemeral()
    assert all(r.success for r in run_pipeline(instance, [2025], home=str(home)))
    with warehouse.connect(settings.warehouse_path) as con:
        before = warehouse.read_table(con, "portfolio").select("function", "score", "c_co_assessment")
    weighed = run_pipeline(
        instance,
        [2025],
        home=str(home),
        stages=("portfolio_priorities", "restructuring_plans"),
        config={"portfolio_priorities": {"weights": {"co_assessment": 0.3}}},
    )
    assert all(r.success for r in weighed)
    with warehouse.connect(settings.warehouse_path) as con:
        after = warehouse.read_table(con, "portfolio").select("function", "score")
    run_pipeline(instance, [2025], home=str(home), stages=("body_2",))  # the shipped weights again, outputs written
    return settings, loaded.ratings, before, after


def test_the_statistics_are_stored_per_function_and_type(rated):
    settings, loaded, _, _ = rated
    with warehouse.connect(settings.warehouse_path) as con:
        stats = warehouse.read_table(con, "coassessment")
    roads = stats.filter(pl.col("function") == "10.05", pl.col("respondent_type") == "tutti").row(0, named=True)
    expected = loaded.filter(pl.col("function") == "10.05")["quality"]
    assert roads["n_quality"] == expected.len() and roads["mean_quality"] == pytest.approx(expected.mean())


def test_the_component_weighs_nothing_until_given_a_weight(rated):
    _, _, before, after = rated
    with_ratings = before.filter(pl.col("c_co_assessment").is_not_null())
    assert with_ratings.height >= 3
    moved = before.join(after, on="function", suffix="_after").filter(pl.col("score") != pl.col("score_after"))
    assert set(moved["function"]) == set(
        with_ratings["function"]
    )  # weight 0: no effect; 0.3: exactly the rated functions


def test_the_workbook_the_page_and_the_plan_show_the_ratings(rated):
    settings, _, _, _ = rated
    book = openpyxl.load_workbook(settings.outputs_dir / "reports" / "237_2025_rendiconto.xlsx")
    assert book.sheetnames.index("Valutazioni") == book.sheetnames.index("Matrice") + 1  # beside the matrix
    rows = list(book["Valutazioni"].iter_rows(values_only=True))
    assert rows[0][0] == "Valutazioni di utenti e Terzo settore (co-valutazione)"
    assert any(r[0] == "10.05" and r[2] == "tutti i rispondenti" for r in rows)
    page = html.unescape((settings.outputs_dir / "dashboards" / "237_2025_rendiconto.html").read_text(encoding="utf-8"))
    assert 'id="ratings"' in page and "tutti i rispondenti" in page
    with warehouse.connect(settings.warehouse_path) as con:
        plans = warehouse.read_table(con, "plans").filter(pl.col("function") == "12.04").row(0, named=True)
    assert (
        "Nella co-valutazione si dichiarano disponibili a partecipare all'erogazione: enti del Terzo settore"
        in plans["coproduction_why"]
    )
    assert (
        "In the co-assessment, these say they are willing to take part in delivery: Third Sector bodies"
        in plans["coproduction_why_en"]
    )
    with warehouse.connect(settings.warehouse_path) as con:
        stats = warehouse.read_table(con, "coassessment").filter(
            pl.col("function") == "10.05", pl.col("respondent_type") == "tutti"
        )
        roads = warehouse.read_table(con, "plans").filter(pl.col("function") == "10.05").row(0, named=True)
    quality = stats.row(0, named=True)["mean_quality"]
    assert (
        quality <= 2.5
        and f"Urgente: utenti e Terzo settore valutano la qualità {quality:.1f} su 5".replace(".", ",")
        in roads["coproduction_why"]
    )


def test_areavasta_ratings_loads_and_refuses(tmp_path, monkeypatch):
    from typer.testing import CliRunner

    from cli.main import app

    monkeypatch.setenv("AREAVASTA_HOME", str(tmp_path / "home"))
    bad = tmp_path / "bad.csv"
    bad.write_text(HEADER + "\n237;2025;10.05;utente;U1;9;;;\n", encoding="utf-8")
    result = CliRunner().invoke(app, ["ratings", str(bad)], env={"COLUMNS": "200"})
    assert result.exit_code == 1 and "fuori scala" in result.output
    assert not (tmp_path / "home" / "archive").exists() or not any((tmp_path / "home" / "archive").rglob("*.csv"))
    form = tmp_path / "q.xlsx"
    assert CliRunner().invoke(app, ["questionnaire", "--body", "BO", "--year", "2025", "-o", str(form)]).exit_code == 0
    assert openpyxl.load_workbook(form).sheetnames == ["Istruzioni", "Valutazioni", "Programmi"]
