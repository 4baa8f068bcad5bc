"""An upload against the BDAP extract of the same body, year and phase (issue 16, part 3).

The pure comparison is checked on hand-worked figures; end to end, Torino's official open-format final
accounts (tests/fixtures/official) meet a BDAP programme-level extract written here from the scheme
(tests/test_national.py), through the Dagster assets down to the workbook's Controlli sheet and the page.
"""

from __future__ import annotations

import html
from pathlib import Path

import dagster as dg
import openpyxl
import polars as pl
import pytest
from hypothesis import given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from pipelines.reconciliation import reconciliation_config
from tests.test_national import PROVINCE, _row, write_extract
from transforms.reconcile import reconcile, with_derived_kinds
from warehouse import store as warehouse
from warehouse.national_extracts import load_national

SCHEMA = {
    "body": pl.String,
    "year": pl.Int32,
    "phase": pl.String,
    "missione": pl.String,
    "programma": pl.String,
    "macroaggregato": pl.String,
    "amount_kind": pl.String,
    "amount_cents": pl.Int64,
}
TOLERANCE = {"absolute_eur": 1.0, "share": 0.001}
LEVELS = ["missione", "programma", "macroaggregato"]
DERIVED = {"pagamenti": ["pagamenti_competenza", "pagamenti_residui"]}


def lines(*rows) -> pl.DataFrame:
    return pl.DataFrame([("237", 2025, "rendiconto", *r) for r in rows], schema=SCHEMA, orient="row")


def by(table: pl.DataFrame, level: str, kind: str = "impegni") -> dict:
    return {
        r["code"]: (r["own_cents"], r["bdap_cents"], r["difference_cents"], r["allowed_cents"], r["within_tolerance"])
        for r in table.filter(pl.col("level") == level, pl.col("amount_kind") == kind).iter_rows(named=True)
    }


def test_a_reclassification_between_programmes_agrees_by_mission_and_differs_by_programme():
    own = lines(("10", "10.05", "1.03", "impegni", 100_000_00), ("10", "10.02", "1.03", "impegni", 50_000_00))
    bdap = lines(("10", "10.05", "1.03", "impegni", 75_000_00), ("10", "10.02", "1.03", "impegni", 75_000_40))
    table = reconcile(own, bdap, TOLERANCE, LEVELS, DERIVED)
    # mission 10: 150,000.00 against 150,000.40; allowed = max(1.00, 0.1 % of 150,000.40 = 150.0004 -> 150.00)
    assert by(table, "missione") == {"10": (150_000_00, 150_000_40, -40, 150_00, True)}
    # 10.05: 100,000 against 75,000: allowed 100.00; 10.02: 50,000 against 75,000.40: allowed 75.00
    assert by(table, "programma") == {
        "10.02": (50_000_00, 75_000_40, -25_000_40, 75_00, False),
        "10.05": (100_000_00, 75_000_00, 25_000_00, 100_00, False),
    }
    assert by(table, "macroaggregato") == {"1.03": (150_000_00, 150_000_40, -40, 150_00, True)}


def test_the_tolerance_is_the_larger_of_one_euro_and_a_thousandth_at_its_edge():
    def one(own_cents: int, bdap_cents: int) -> tuple:
        table = reconcile(
            lines(("01", "01.01", "1.01", "impegni", own_cents)),
            lines(("01", "01.01", "1.01", "impegni", bdap_cents)),
            TOLERANCE,
            ["missione"],
        )
        return table.row(0, named=True)["allowed_cents"], table.row(0, named=True)["within_tolerance"]

    assert one(500_00, 501_00) == (100, True)  # 1 euro on 501: the euro is larger than 0.1 % (0.50)
    assert one(500_00, 501_01) == (100, False)  # one cent more
    assert one(1_000_000_00, 1_001_000_00) == (1_001_00, True)  # 0.1 % of 1,001,000 = 1,001.00
    assert one(1_000_000_00, 1_001_001_01) == (1_001_00, False)


def test_payments_in_parts_meet_the_total_and_kinds_only_one_side_has_are_left_out():
    own = lines(
        ("04", "04.02", "1.03", "pagamenti_competenza", 70_00),
        ("04", "04.02", "1.03", "pagamenti_residui", 30_00),
        ("04", "04.02", "1.03", "fpv", 5_00),
    )
    bdap = lines(("04", "04.02", "1.03", "pagamenti", 100_00), ("04", "04.02", "1.03", "stanziamento", 900_00))
    table = reconcile(own, bdap, TOLERANCE, LEVELS, DERIVED)
    assert set(table["amount_kind"]) == {"pagamenti"}
    assert by(table, "missione", "pagamenti") == {"04": (100_00, 100_00, 0, 100, True)}


def test_a_level_is_compared_only_where_both_sides_have_its_detail():
    mission_level = lines(("10", None, None, "impegni", 100_00))
    detailed = lines(("10", "10.05", "1.03", "impegni", 100_00))
    table = reconcile(mission_level, detailed, TOLERANCE, LEVELS)
    assert set(table["level"]) == {"missione"}
    other_year = detailed.with_columns(year=pl.lit(2024, pl.Int32))
    assert reconcile(detailed, other_year, TOLERANCE, LEVELS).is_empty()  # different years never meet


amounts = st.integers(min_value=0, max_value=10**12)


@hsettings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.tuples(st.sampled_from(["10.02", "10.05", "04.02"]), st.sampled_from(["1.03", "1.04"]), amounts),
        min_size=1,
        max_size=12,
    ),
    st.integers(min_value=0, max_value=10**9),
)
def test_a_file_agrees_with_itself_and_a_move_inside_a_mission_keeps_the_mission(rows, moved):
    own = (
        lines(*[(p[:2], p, m, "impegni", a) for p, m, a in rows])
        .group_by(list(SCHEMA)[:-1])
        .agg(pl.col("amount_cents").sum())
    )
    same = reconcile(own, own, TOLERANCE, LEVELS)
    assert same["within_tolerance"].all() and (same["difference_cents"] == 0).all()
    shifted = pl.concat(
        [own, lines(("10", "10.02", "1.03", "impegni", -moved), ("10", "10.05", "1.03", "impegni", moved))]
    )
    table = reconcile(own, shifted, TOLERANCE, LEVELS)
    assert (table.filter(pl.col("level") == "missione")["difference_cents"] == 0).all()
    assert table.filter(pl.col("level") == "programma", pl.col("code") == "10.05")["difference_cents"].to_list() == [
        -moved
    ]


@pytest.mark.parametrize("side", ["own", "bdap"])
def test_a_payments_total_that_is_reported_is_never_added_to_from_its_parts(side):
    """A side reporting ``pagamenti`` and its parts too: the reported total is compared, not total + parts (a double
    count)."""
    both = lines(
        ("04", "04.02", "1.03", "pagamenti", 100_00),
        ("04", "04.02", "1.03", "pagamenti_competenza", 70_00),
        ("04", "04.02", "1.03", "pagamenti_residui", 30_00),
    )
    total_only = lines(("04", "04.02", "1.03", "pagamenti", 100_00))
    own, bdap = (both, total_only) if side == "own" else (total_only, both)
    table = reconcile(own, bdap, TOLERANCE, LEVELS, DERIVED)
    assert by(table, "missione", "pagamenti") == {"04": (100_00, 100_00, 0, 100, True)}
    assert by(table, "macroaggregato", "pagamenti") == {"1.03": (100_00, 100_00, 0, 100, True)}


@hsettings(max_examples=60, deadline=None)
@given(st.one_of(st.none(), amounts), amounts, amounts)
def test_the_payments_compared_are_the_reported_total_else_the_sum_of_its_parts(total, competence, residues):
    """Per partition: ``pagamenti`` as reported when it is; competence + residues only when it is not."""
    parts = [
        ("04", "04.02", "1.03", "pagamenti_competenza", competence),
        ("04", "04.02", "1.03", "pagamenti_residui", residues),
    ]
    side = lines(*parts, *([("04", "04.02", "1.03", "pagamenti", total)] if total is not None else []))
    derived = with_derived_kinds(side, DERIVED)
    assert derived.filter(pl.col("amount_kind") == "pagamenti")["amount_cents"].sum() == (
        competence + residues if total is None else total
    )
    assert derived.filter(pl.col("amount_kind") != "pagamenti").equals(
        side.filter(pl.col("amount_kind") != "pagamenti")
    )


def test_the_shipped_tolerance_is_stated_in_data():
    config = reconciliation_config()
    assert config["tolerance"] == {"absolute_eur": 1.0, "share": 0.001} and config["levels"] == LEVELS


OFFICIAL = Path(__file__).parent / "fixtures" / "official" / "rendiconto_2023_formato_aperto_spese.csv"


def first_programme(mission: str) -> str:
    """BDAP's four-digit programme code of the mission's first programme open to provinces (the upload has no
    programmes)."""
    from sources.reference import programmes

    codes = programmes().filter(~pl.col("regions_only"), pl.col("code").str.starts_with(mission + "."))["code"].sort()
    return codes[0].replace(".", "")


MILANO = [
    ("1005", "1", "101", 20_000_000),
    ("1005", "1", "103", 60_000_000),
    ("1005", "1", "104", 90_000_000),
    ("0402", "1", "103", 40_000_000),
    ("0402", "1", "104", 5_000_000),
    ("0101", "1", "101", 8_000_000),
]


@pytest.fixture(scope="module")
def torino(tmp_path_factory):
    """Torino's official 2023 upload, and a BDAP extract of the same accounts with €120,000.00 more commitments in
    mission 10."""
    from pipelines.runner import run_pipeline
    from tests.conftest import settings_for
    from warehouse.ingest import ingest_files

    home = tmp_path_factory.mktemp("reconcile")
    settings = settings_for(home)
    [outcome] = ingest_files([OFFICIAL], settings, body="201", year=2023, phase="rendiconto", user="test")
    assert outcome.status == "accepted"
    with warehouse.connect(settings.warehouse_path) as con:
        upload = warehouse.read_table(con, "budget_lines")
    grouped = (
        upload.filter(pl.col("amount_kind").is_in(["impegni", "pagamenti"]))
        .group_by("missione", "titolo", "macroaggregato", "amount_kind")
        .agg(pl.col("amount_cents").sum())
        .pivot("amount_kind", index=["missione", "titolo", "macroaggregato"], values="amount_cents")
        .fill_null(0)
        .sort("missione", "titolo", "macroaggregato")
    )
    rows = []
    for r in grouped.iter_rows(named=True):
        committed = r["impegni"] + (120_000_00 if (r["missione"], r["macroaggregato"]) == ("10", "1.03") else 0)
        rows.append(
            _row(
                2023,
                PROVINCE,
                "800000201",
                "CITTÀ METROPOLITANA DI TORINO",
                "01",
                "001",
                "272",
                "TORINO",
                first_programme(r["missione"]),
                r["titolo"],
                r["macroaggregato"].replace(".", ""),
                "0",
                f"{committed / 100:.2f}",
                f"{r['pagamenti'] / 100:.2f}",
            )
        )
    for programme, title, macro, amount in MILANO:  # a body nobody uploaded: analysed from the extract alone
        rows.append(
            _row(
                2023,
                PROVINCE,
                "800000215",
                "CITTÀ METROPOLITANA DI MILANO",
                "03",
                "015",
                "146",
                "MILANO",
                programme,
                title,
                macro,
                "0",
                f"{amount:.2f}",
                "0",
            )
        )
    assert load_national(write_extract(home / "2023_Rendiconto SDB Spese Programmi_PIEMONTE.csv", rows), settings).ok
    results = run_pipeline(dg.DagsterInstance.ephemeral(), [2023], home=str(home))
    assert all(r.success for r in results)
    return settings, results, upload


def test_the_difference_is_a_warning_check_naming_both_files_and_amounts(torino):
    settings, results, upload = torino
    [check] = [e for r in results for e in r.get_asset_check_evaluations() if e.check_name == "agrees_with_bdap"]
    assert not check.passed and check.severity == dg.AssetCheckSeverity.WARN
    differences = check.metadata["differences"].value
    mission_10 = upload.filter(pl.col("missione") == "10", pl.col("amount_kind") == "impegni")["amount_cents"].sum()
    macro_103 = upload.filter(pl.col("macroaggregato") == "1.03", pl.col("amount_kind") == "impegni")[
        "amount_cents"
    ].sum()
    assert {(d["level"], d["code"], d["own_cents"], d["bdap_cents"], d["difference_cents"]) for d in differences} == {
        ("missione", "10", mission_10, mission_10 + 120_000_00, -120_000_00),
        ("macroaggregato", "1.03", macro_103, macro_103 + 120_000_00, -120_000_00),
    }
    assert {d["own_file"] for d in differences} == {OFFICIAL.name}
    assert {d["bdap_file"] for d in differences} == {"2023_Rendiconto SDB Spese Programmi_PIEMONTE.csv"}
    with warehouse.connect(settings.warehouse_path) as con:
        table = warehouse.read_table(con, "bdap_reconciliation")
    assert set(table["level"]) == {
        "missione",
        "macroaggregato",
    }  # Torino's file has no programmes: not compared by programme
    assert set(table["amount_kind"]) == {"impegni", "pagamenti"} and table["within_tolerance"].sum() == table.height - 2


def test_the_workbook_and_the_page_say_it_in_words(torino):
    settings, _, _ = torino
    sheet = openpyxl.load_workbook(settings.outputs_dir / "reports" / "201_2023_rendiconto.xlsx")["Controlli"]
    texts = [row[4] for row in sheet.iter_rows(values_only=True) if row[3] == "BDAP_DIFFERENCE"]
    assert len(texts) == 2
    assert texts[0].startswith(
        "Per la missione 10 (impegni) il file caricato rendiconto_2023_formato_aperto_spese.csv riporta "
    )
    assert (
        "l'estratto BDAP 2023_Rendiconto SDB Spese Programmi_PIEMONTE.csv" in texts[0]
        and "differenza -120.000,00" in texts[0]
    )
    page = html.unescape((settings.outputs_dir / "dashboards" / "201_2023_rendiconto.html").read_text(encoding="utf-8"))
    assert "Confronto con l'estratto BDAP" in page and "differiscono in 2 importi su" in page and "-120.000,00" in page


def test_a_body_only_in_the_extract_is_analysed_from_it_and_says_so(torino):
    settings, _, _ = torino
    with warehouse.connect(settings.warehouse_path) as con:
        matrix = warehouse.read_table(con, "ruffini_matrix").filter(pl.col("body") == "215")
        bench = warehouse.read_table(con, "peer_benchmarks")
    roads = matrix.filter(pl.col("function") == "10.05").row(0, named=True)
    assert roads["total_cents"] == 170_000_000_00 and roads["transfer_share"] == pytest.approx(
        90 / 170
    )  # macroaggregate 1.04
    placed = dict(matrix.filter(pl.col("quadrant").is_not_null()).select("function", "quadrant").iter_rows())
    assert (
        placed == {"04.02": "direct", "10.05": "indirect"} and bench.filter(pl.col("body") == "215").height
    )  # with benchmarks
    torino = bench.filter(pl.col("body") == "201", pl.col("function") == "10").row(0, named=True)
    assert torino["peers"] == torino["peers_open_data"] == 1  # Milano, by mission, although it is analysed by programme
    book = openpyxl.load_workbook(settings.outputs_dir / "reports" / "215_2023_rendiconto.xlsx")
    summary = book["Sintesi"]
    assert summary["A2"].value == "Città metropolitana di Milano - rendiconto 2023 (dati BDAP)"
    assert summary["A4"].value.startswith(
        "Analisi basata sui dati aperti BDAP (2023_Rendiconto SDB Spese Programmi_PIEMONTE.csv)"
    )
    assert all("(dati BDAP)" in sheet.oddHeader.left.text for sheet in book.worksheets)  # every printed page says so
    page = html.unescape((settings.outputs_dir / "dashboards" / "215_2023_rendiconto.html").read_text(encoding="utf-8"))
    assert "Rendiconto 2023 (dati BDAP)" in page and 'id="open-data"' in page
    own = openpyxl.load_workbook(settings.outputs_dir / "reports" / "201_2023_rendiconto.xlsx")
    assert not any(
        "(dati BDAP)" in sheet.oddHeader.left.text for sheet in own.worksheets
    )  # Torino uploaded its accounts
    assert 'id="open-data"' not in (settings.outputs_dir / "dashboards" / "201_2023_rendiconto.html").read_text(
        encoding="utf-8"
    )
