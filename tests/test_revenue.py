"""Revenue attributed to functions and cost recovery: by hand, refused files, and through the pipeline."""

from __future__ import annotations

import polars as pl
import pytest

from sources.revenue_attribution import AttributionError, attribution
from transforms.revenue import attributed_revenue, with_cost_recovery

BASIS = {"rendiconto": "accertamenti", "previsione": "stanziamento"}
E = 100  # cents in a euro


def _revenue(rows):
    return pl.DataFrame(
        rows,
        schema=["body", "year", "phase", "tipologia", "amount_kind", "amount_cents"],
        orient="row",
        schema_overrides={"year": pl.Int32},
    )


def _rules(rows):
    return pl.DataFrame(
        rows,
        schema=["body", "tipologia", "programma", "share", "reason"],
        orient="row",
        schema_overrides={"body": pl.String, "share": pl.Float64},
    )


REVENUE = _revenue(
    [
        ("002", 2025, "rendiconto", "30200", "accertamenti", 1_000_000 * E),  # fines
        ("002", 2025, "rendiconto", "30100", "accertamenti", 500_000 * E),  # fees and rents
        ("002", 2025, "rendiconto", "30200", "riscossioni", 900_000 * E),  # collections: not the basis, ignored
        ("003", 2025, "rendiconto", "30200", "accertamenti", 200_000 * E),
    ]
)


def test_attribution_by_hand_and_a_bodys_rows_replace_the_default():
    rules = _rules(
        [
            (None, "30200", "10.05", 0.7, "sanzioni stradali"),  # default, every body
            ("002", "30100", "10.05", 0.3, "canoni stradali"),
            ("002", "30100", "01.05", 0.4, "affitti"),
            ("003", "30200", "09.02", 1.0, "sanzioni ambientali"),  # replaces the default for 003's fines
        ]
    )
    out = {(r["body"], r["function"]): r for r in attributed_revenue(REVENUE, rules, BASIS).iter_rows(named=True)}
    assert out[("002", "10.05")]["revenue_cents"] == (700_000 + 150_000) * E  # 0.7 × 1,000,000 + 0.3 × 500,000
    assert out[("002", "01.05")]["revenue_cents"] == 200_000 * E
    assert out[("002", "10")]["revenue_cents"] == 850_000 * E  # the mission, for mission-level files
    assert ("003", "10.05") not in out and out[("003", "09.02")]["revenue_cents"] == 200_000 * E
    assert "sanzioni stradali" in out[("002", "10.05")]["revenue_sources"]
    functions = pl.DataFrame(
        {
            "body": ["002", "002"],
            "year": [2025, 2025],
            "phase": ["rendiconto"] * 2,
            "function": ["10.05", "04.02"],
            "total_cents": [10_000_000 * E, 3_000_000 * E],
        },
        schema_overrides={"year": pl.Int32},
    )
    recovery = dict(
        with_cost_recovery(functions, attributed_revenue(REVENUE, rules, BASIS))
        .select("function", "cost_recovery")
        .iter_rows()
    )
    assert recovery == {"10.05": pytest.approx(0.085), "04.02": None}  # nothing attributed: unknown, never 0


@pytest.mark.parametrize(
    "row, words",
    [
        ("30200,10.05,1.5,sanzioni", "riga 2, colonna share"),
        ("99999,10.05,0.5,sanzioni", "riga 2, colonna tipologia"),
        ("30200,10.99,0.5,sanzioni", "riga 2, colonna programma"),
        ("30200,10.05,0.5,", "riga 2, colonna reason"),
    ],
)
def test_a_bad_attribution_file_is_refused_naming_row_and_column(tmp_path, row, words):
    (tmp_path / "revenue").mkdir()
    (tmp_path / "revenue" / "002.csv").write_text(f"tipologia,programma,share,reason\n{row}\n", encoding="utf-8")
    with pytest.raises(AttributionError, match=words):
        attribution(tmp_path, ["002"])


def test_shares_above_the_whole_revenue_are_refused(tmp_path):
    (tmp_path / "revenue").mkdir()
    (tmp_path / "revenue" / "002.csv").write_text(
        "tipologia,programma,share,reason\n30200,10.05,0.7,a\n30200,09.02,0.4,b\n", encoding="utf-8"
    )
    with pytest.raises(AttributionError, match="110%"):
        attribution(tmp_path, ["002"])


def test_cost_recovery_through_the_pipeline_on_official_scheme_files(tmp_path):
    """The official-scheme fixtures of Torino (201), not our generator: spending by mission and the revenue export."""
    from pathlib import Path

    import dagster as dg

    from pipelines.runner import run_pipeline
    from tests.conftest import settings_for
    from warehouse import store as warehouse
    from warehouse.ingest import ingest_files

    official = Path(__file__).parent / "fixtures" / "official"
    settings = settings_for(tmp_path)
    outcomes = ingest_files(
        [
            official / "rendiconto_2023_formato_aperto_spese.csv",
            official / "rendiconto_2023_formato_aperto_entrate.csv",
        ],
        settings,
        body="201",
        year=2023,
        phase="rendiconto",
        user="test",
    )
    assert [o.status for o in outcomes] == ["accepted", "accepted"]
    (tmp_path / "revenue").mkdir()
    (tmp_path / "revenue" / "201.csv").write_text(
        "tipologia,programma,share,reason\n30200,10.05,0.7,sanzioni stradali\n", encoding="utf-8"
    )
    results = run_pipeline(dg.DagsterInstance.ephemeral(), [2023], ["201"], home=str(tmp_path), stages=("body_1",))
    assert all(r.success for r in results)
    with warehouse.connect(settings.warehouse_path) as con:
        fines = con.execute(
            "SELECT sum(amount_cents) FROM core.revenue_lines WHERE tipologia = '30200' AND amount_kind = "
            "'accertamenti'"
        ).fetchone()[0]
        rows = dict(
            con.execute("SELECT function, revenue_cents FROM core.ruffini_matrix WHERE body = '201'").fetchall()
        )
        recovery = dict(
            con.execute("SELECT function, cost_recovery FROM core.ruffini_matrix WHERE body = '201'").fetchall()
        )
        total = con.execute(
            "SELECT total_cents FROM core.ruffini_matrix WHERE body = '201' AND function = '10'"
        ).fetchone()[0]
    assert rows["10"] == round(fines * 0.7)
    assert recovery["10"] == pytest.approx(round(fines * 0.7) / total)
    assert recovery["04"] is None
