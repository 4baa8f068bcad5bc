"""Mission-level data treated as what it is (issue 24, part 2), on files built from the official schemes.

Modena's "formato aperto" export (tests/fixtures/official) gives mission totals by title and macroaggregate, no
programmes; Padova's annex gives programmes. Mission 01 and the technical missions never enter the matrix, the
ranking or a plan when given as totals; other missions are marked and get a plan that starts from programme detail,
with a direction and no euro; peers are compared at the same detail; technical missions show the same amounts at
both levels.
"""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest
from hypothesis import given
from hypothesis import strategies as st

from pipelines.classification import run_classification
from sources.catalogues import authority_catalogue, mission_level
from sources.plan_catalogue import plan_catalogue
from sources.portfolio_catalogue import body_table, portfolio_catalogue, portfolio_config
from sources.reference import missions
from tests.conftest import settings_for
from transforms.plan_assembly import build_plans
from transforms.ranking import benchmarks, run_portfolio

OFFICIAL = Path(__file__).parent / "fixtures" / "official"
NEVER = {"01", "20", "50", "60", "99"}


def _read(name: str, body: str, year: int, phase: str, home: Path) -> pl.DataFrame:
    from sources.intake import validate_file

    result = validate_file(OFFICIAL / name, settings_for(home), body=body, year=year, phase=phase)
    assert result.ok, [f.message() for f in result.findings if f.is_error]
    return result.lines.select(
        "body", "year", "phase", "missione", "programma", "titolo", "macroaggregato", "amount_kind", "amount_cents"
    )


@pytest.fixture(scope="module")
def lines(tmp_path_factory) -> pl.DataFrame:
    """Modena 2021 (mission totals by title and macroaggregate) and two provinces by programme the same year (Padova's
    and Vicenza's official annexes, their year and phase relabelled so that the three bodies are peers)."""
    home = tmp_path_factory.mktemp("home")
    modena = _read("rendiconto_2021_formato_aperto_spese_due_righe.csv", "036", 2021, "rendiconto", home)
    padova = _read("allegato_rendiconto_2023_macroaggregati.xlsx", "028", 2023, "rendiconto", home).with_columns(
        year=pl.lit(2021, pl.Int32)
    )
    vicenza = (
        _read("allegato_previsione_2025_macroaggregati.xlsx", "024", 2025, "previsione", home)
        .filter(pl.col("amount_kind") == "stanziamento")
        .with_columns(year=pl.lit(2021, pl.Int32), phase=pl.lit("rendiconto"), amount_kind=pl.lit("impegni"))
    )
    return pl.concat([modena, padova, vicenza])


@pytest.fixture(scope="module")
def analysed(lines):
    functions = run_classification(lines).functions
    return functions, run_portfolio(functions, portfolio_catalogue())


def _modena(frame: pl.DataFrame) -> pl.DataFrame:
    return frame.filter(pl.col("body") == "036")


def test_mission_01_and_technical_missions_given_as_totals_never_enter_matrix_ranking_or_plans(analysed):
    functions, portfolio = analysed
    modena = {r["function"]: r for r in _modena(functions).iter_rows(named=True)}
    assert NEVER - {"20"} <= set(
        modena
    )  # in the file, with real money (mission 01: 31 million euro); no mission 20 that year
    for code in NEVER & set(modena):
        row = modena[code]
        assert row["quadrant"] is None and row["not_classified"] in ("mission_total", "technical"), code
        reason = mission_level().filter(pl.col("code") == code).row(0, named=True)
        assert row["explanation_it"] == "Non classificata: " + reason["reason_it"]  # its own words, from the data file
        assert row["explanation_en"] == "Not classified: " + reason["reason_en"]
    assert "01.08" in modena["01"]["explanation_it"] and "01.09" in modena["01"]["explanation_en"]
    ranked = _modena(portfolio.ranked)["function"].to_list()
    assert ranked and not NEVER & set(ranked)
    plans = build_plans(_modena(portfolio.ranked), plan_catalogue(), matrix=_modena(functions)).projects
    assert plans.height and not NEVER & set(plans["function"])


def test_at_programme_level_the_catalogue_decides(lines):
    """Padova's annex by programme, with two lines of the fundamental functions of mission 01 added (its annex has
    none)."""
    extra = pl.DataFrame(
        {
            "missione": ["01", "01"],
            "programma": ["01.08", "01.09"],
            "titolo": ["1", "1"],
            "macroaggregato": ["1.03", "1.01"],
            "amount_cents": [300_000_00, 200_000_00],
        }
    ).with_columns(
        body=pl.lit("028"), year=pl.lit(2021, pl.Int32), phase=pl.lit("rendiconto"), amount_kind=pl.lit("impegni")
    )
    functions = run_classification(
        pl.concat([lines.filter(pl.col("body") == "028"), extra.select(lines.columns)])
    ).functions
    padova = {r["function"]: r for r in functions.iter_rows(named=True)}
    kinds = dict(zip(authority_catalogue()["programma"], authority_catalogue()["kind"]))
    for code, row in padova.items():
        if code.startswith("01."):
            assert row["kind"] == kinds[code]
            assert (row["not_classified"] == "support") == (kinds[code] == "support"), code
    assert padova["01.02"]["not_classified"] == "support"
    assert padova["01.08"]["quadrant"] is not None and padova["01.09"]["quadrant"] is not None  # functions, classified


def test_other_missions_given_as_totals_are_marked_and_planned_from_programme_detail(analysed):
    functions, portfolio = analysed
    ranked = _modena(portfolio.ranked)
    assert ranked.height and ranked["coarse"].all()
    plans = build_plans(ranked, plan_catalogue(), matrix=_modena(functions))
    development = plans.projects.filter(pl.col("plan_kind") == "development")
    assert development.height
    for plan in development.iter_rows(named=True):
        assert (
            plan["effect_low_cents"] is None and plan["effect_high_cents"] is None and plan["kick_start_cents"] is None
        )
        assert plan["phases_text"].startswith("Ottenere il dettaglio per programma (0-3 mesi)")
        assert plan["phases_text_en"].startswith("Get programme detail (0-3 months)")
        assert plan["direction"].startswith(f"verso {plan['governance_it']}") and plan["direction_en"].startswith(
            "towards"
        )
        assert (
            "Primo passo. Ottenere il dettaglio per programma" in plan["dup_text"]
            and "Effetti attesi. Da stimare" in plan["dup_text"]
        )
        assert "Tra " not in plan["dup_text"] and "Risorse di avvio" not in plan["dup_text"]  # no euro to the cent
    projection = plans.projection.join(development.select("function"), on="function", how="semi")
    assert projection.height and (projection["baseline_cents"] == projection["with_plan_cents"]).all()


def test_a_programme_level_plan_keeps_its_euro_effects(analysed):
    functions, portfolio = analysed
    padova = portfolio.ranked.filter(pl.col("body") == "028")
    plans = build_plans(padova, plan_catalogue(), matrix=functions.filter(pl.col("body") == "028")).projects.filter(
        pl.col("plan_kind") == "development"
    )
    assert plans.height and plans["effect_high_cents"].is_not_null().all() and (plans["direction"] == "").all()


def test_the_mission_level_table_agrees_with_the_authority_catalogue():
    """A mission is classified at mission level only when every programme the body can have is a service line; one with
    internal support mixed in (01) or all technical (20, 50, 60, 99) never is; every row has its source and its
    reasons."""
    table = mission_level()
    assert sorted(table["code"]) == sorted(missions()["code"])
    catalogue = (
        authority_catalogue()
        .filter(pl.col("kind") != "regions_only")
        .with_columns(code=pl.col("programma").str.slice(0, 2))
    )
    expected = catalogue.group_by("code").agg(
        kind=pl.when((pl.col("kind") == "technical").all())
        .then(pl.lit("technical"))
        .when((pl.col("kind") == "support").any())
        .then(pl.lit("support"))
        .otherwise(pl.lit("service"))
    )
    assert dict(table.select("code", "kind").iter_rows()) == dict(expected.iter_rows())
    assert set(table.filter(pl.col("kind") != "service")["code"]) == NEVER
    assert table["source"].str.len_chars().min() > 10
    others = table.filter(pl.col("kind") != "service")
    assert others["reason_it"].str.len_chars().min() > 40 and others["reason_en"].str.len_chars().min() > 40
    assert set(table["titles_1_2"]) == {"all", "part", "none"}
    assert dict(table.filter(pl.col("kind") == "technical").select("code", "titles_1_2").iter_rows()) == {
        "20": "all",
        "50": "part",
        "60": "none",
        "99": "none",
    }


def _technical_lines(interest: int, principal: int, clearing: int, level: str) -> pl.DataFrame:
    """Debt (50.01 interest on title 1, 50.02 principal on title 4) and clearing items (99.01, title 7), a service line
    beside them; ``programme``, ``mission`` (mission totals by title) or ``totals`` (no title: a BDAP summary)."""
    rows = [
        ("50", "50.01", "1", "1.07", interest),
        ("50", "50.02", "4", "4.03", principal),
        ("99", "99.01", "7", "7.01", clearing),
        ("10", "10.05", "1", "1.03", 50_000_000_00),
    ]
    frame = pl.DataFrame(
        rows, schema=["missione", "programma", "titolo", "macroaggregato", "amount_cents"], orient="row"
    )
    if level != "programme":
        frame = frame.with_columns(programma=pl.lit(None, pl.String))
    if level == "totals":
        frame = (
            frame.group_by("missione")
            .agg(pl.col("amount_cents").sum())
            .with_columns(
                programma=pl.lit(None, pl.String),
                titolo=pl.lit(None, pl.String),
                macroaggregato=pl.lit(None, pl.String),
            )
        )
    return frame.with_columns(
        body=pl.lit("036"), year=pl.lit(2025, pl.Int32), phase=pl.lit("rendiconto"), amount_kind=pl.lit("impegni")
    )


@given(st.integers(0, 10**11), st.integers(0, 10**11), st.integers(0, 10**11))
def test_missions_50_and_99_show_the_same_amounts_at_every_level_of_detail(interest, principal, clearing):
    """What the file holds on every title: 50.02 (title 4) and 99.01 (title 7) never show 0 at programme level while
    their mission totals show the money; never classified at any level."""
    shown = {}
    for level in ("programme", "mission", "totals"):
        functions = run_classification(_technical_lines(interest, principal, clearing, level)).functions
        technical = functions.filter(pl.col("function").str.slice(0, 2).is_in(["50", "99"]))
        assert technical["quadrant"].is_null().all() and (technical["not_classified"] == "technical").all()
        shown[level] = dict(
            technical.group_by(pl.col("function").str.slice(0, 2)).agg(pl.col("total_cents").sum()).iter_rows()
        )
    assert shown["programme"] == shown["mission"] == shown["totals"] == {"50": interest + principal, "99": clearing}


def test_a_body_total_from_mission_totals_without_titles_is_not_zero_and_leaves_debt_and_clearing_out():
    functions = run_classification(_technical_lines(3_000_00, 4_000_00, 5_000_00, "totals"))
    assert functions.bodies["total_cents"].to_list() == [
        50_000_000_00
    ]  # mission 10 only: 50, 99 are not titles 1-2 by the scheme


def test_peers_are_compared_at_the_same_level_of_detail_and_named(lines, analysed):
    functions, _ = analysed
    found, groups = benchmarks(
        functions, {**portfolio_config(), "peers": {**portfolio_config()["peers"], "group": "type"}}, body_table()
    )
    assert set(groups.filter(pl.col("body") == "036")["peer"]) == {"024", "028"}
    population = {"024": 859205, "028": 921361}
    both = 0
    for row in _modena(found).iter_rows(named=True):
        named, lacking = row["peer_bodies"] or [], row["peers_lacking"] or []
        assert sorted(named + lacking) == ["024", "028"] and named == sorted(
            named
        )  # every peer named, or said missing and why
        both += named == ["024", "028"]
        for peer, value in zip(named, row["peer_values_eur"] or []):  # at mission level: the peer's programmes summed
            programmes = functions.filter(
                pl.col("body") == peer, pl.col("function").str.starts_with(row["function"] + ".")
            )
            assert value == pytest.approx(programmes["total_cents"].sum() / 100 / population[peer])
        if named:
            assert row["peer_median_eur"] == pytest.approx(pl.Series(row["peer_values_eur"]).median())
        assert all(why in ("outlier", "no_spending") for why in row["peers_lacking_why"] or [])
    assert both >= 5
    padova = found.filter(pl.col("body") == "028", pl.col("function") == "04.02").row(0, named=True)
    assert "036" not in padova["peer_bodies"]  # never a mission total against a programme...
    assert dict(zip(padova["peers_lacking"], padova["peers_lacking_why"]))["036"] == "mission_only"  # ...and it says so
    own = set(functions.select("body", "function").iter_rows())
    for row in found.filter(pl.col("function").str.len_chars() == 5).iter_rows(
        named=True
    ):  # a programme: the peer's same programme
        assert all((peer, row["function"]) in own for peer in row["peer_bodies"] or []), row["function"]
