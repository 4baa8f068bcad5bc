"""Issue 27: BDAP "Schemi di bilancio" files give every amount kind they hold, in both summaries and in the national
extract.

The fixtures (``tests/fixtures/bdap``) are written by ``build.py`` from BDAP's own column lists, independently of
``areavasta sample``; ``expected.json`` holds what each file states. Every kind reconciles to the cent per body and per
mission (or revenue title); the scheme's identities hold on what is loaded; the re-saved form loads the same amounts;
what is recognised and not kept is said (info), what is unknown and holds values is said (warning).
"""

from __future__ import annotations

import json
from pathlib import Path

import polars as pl
import pytest
import yaml

from sources.intake import validate_file
from sources.reference import DATA_DIR
from transforms.codes import fold_text
from warehouse import store as warehouse
from warehouse.ingest import ingest_files
from warehouse.national_extracts import load_national

FIXTURES = Path(__file__).parent / "fixtures" / "bdap"
EXPECTED = json.loads((FIXTURES / "expected.json").read_text(encoding="utf-8"))
SPENDING = "2023_Rendiconto SDB Spese Riepilogo Missioni_LOMBARDIA.csv"
RESAVED = "2023_spese_missioni_lombardia_risalvato.csv"
REVENUE = "2023_Rendiconto SDB Entrate Riepilogo Tipologie_LOMBARDIA.csv"
FORECAST = "2025_Bilancio di Previsione SDB Spese Riepilogo Missioni_LOMBARDIA.csv"
COMUNI = "2023_Rendiconto SDB Spese Riepilogo Missioni_solo_comuni.csv"
NATIONAL = "2023_Rendiconto SDB Spese Programmi_ITALIA.csv"
ANNEX = "allegato_rendiconto_2023_un_foglio_per_titolo.xlsx"
UPLOADS = [SPENDING, RESAVED, REVENUE, FORECAST, ANNEX]
SPENDING_KINDS = {
    "residui_passivi_iniziali",
    "stanziamento",
    "stanziamento_cassa",
    "pagamenti_residui",
    "pagamenti_competenza",
    "pagamenti",
    "riaccertamenti_residui",
    "impegni",
    "fpv",
    "economie_competenza",
    "residui_passivi_precedenti",
    "residui_passivi_competenza",
    "residui_passivi",
}
REVENUE_KINDS = {
    "residui_attivi_iniziali",
    "stanziamento",
    "stanziamento_cassa",
    "riscossioni_residui",
    "riscossioni_competenza",
    "riscossioni",
    "riaccertamenti_residui",
    "accertamenti",
    "residui_attivi_precedenti",
    "residui_attivi_competenza",
    "residui_attivi",
}


def _validate(name: str, settings, path: Path | None = None):
    spec = EXPECTED[name]
    return validate_file(path or FIXTURES / name, settings, body=spec.get("body"), display_name=name)


def _stated(lines: pl.DataFrame, group: str) -> dict:
    """What the loaded lines add up to, shaped as expected.json: body → totals per kind, and per group and kind."""
    out: dict = {}
    nonzero = lines.filter(pl.col("amount_cents") != 0)
    for body, kind, cents in nonzero.group_by("body", "amount_kind").agg(pl.col("amount_cents").sum()).iter_rows():
        out.setdefault(body, {"totals": {}, "by_group": {}})["totals"][kind] = cents
    for body, code, kind, cents in (
        nonzero.group_by("body", group, "amount_kind").agg(pl.col("amount_cents").sum()).iter_rows()
    ):
        out[body]["by_group"].setdefault(code, {})[kind] = cents
    return out


@pytest.mark.parametrize("name", UPLOADS)
def test_every_kind_of_a_bdap_file_reconciles_to_the_cent(name, settings):
    spec = EXPECTED[name]
    result = _validate(name, settings)
    assert result.layout == spec["layout"] and result.table == spec["table"] and result.ok, [
        f.message() for f in result.findings
    ]
    assert set(result.lines["phase"]) == {spec["phase"]} and set(result.lines["year"]) == {spec["year"]}
    assert (
        _stated(result.lines, spec["group"]) == spec["bodies"]
    )  # per body and kind, and per body, mission (title) and kind
    assert sorted(f.params["label"] for f in result.findings if f.code == "COLUMN_NOT_KEPT") == sorted(
        spec.get("not_kept", [])
    )
    assert [f.code for f in result.findings if f.code != "COLUMN_NOT_KEPT"] == []
    assert all("{" not in f.message("it") and "{" not in f.message("en") for f in result.findings)


def test_the_spending_summary_gives_all_thirteen_kinds_and_the_revenue_summary_all_of_its(settings):
    spending = _validate(SPENDING, settings).lines
    assert set(spending["amount_kind"]) == SPENDING_KINDS and set(spending["body"]) == {"215", "016", "017"}
    assert (
        spending.filter(pl.col("amount_kind") == "riaccertamenti_residui")["amount_cents"].max() <= 0
    )  # cancelled items
    revenue = _validate(REVENUE, settings).lines
    assert set(revenue["amount_kind"]) == REVENUE_KINDS
    assert revenue.filter(pl.col("tipologia") == "10301")["titolo"].unique().to_list() == ["1"]  # 301 within title 1
    assert revenue["tipologia"].str.slice(0, 1).to_list() == revenue["titolo"].to_list()


def _wide(lines: pl.DataFrame, keys: list[str]) -> pl.DataFrame:
    """One row per line, one column per kind (a blank is zero)."""
    return lines.pivot("amount_kind", index=keys, values="amount_cents", aggregate_function="sum").fill_null(0)


def test_the_scheme_identities_hold_on_what_is_loaded(settings):
    """Checked here with the formulas written out (not data/plausibility.yaml), on every body and mission."""
    w = _wide(_validate(SPENDING, settings).lines, ["body", "missione"])
    assert (w["pagamenti"] == w["pagamenti_competenza"] + w["pagamenti_residui"]).all()
    assert (w["residui_passivi"] == w["residui_passivi_precedenti"] + w["residui_passivi_competenza"]).all()
    assert (w["residui_passivi_competenza"] == w["impegni"] - w["pagamenti_competenza"]).all()
    assert (
        w["residui_passivi_precedenti"]
        == w["residui_passivi_iniziali"] - w["pagamenti_residui"] + w["riaccertamenti_residui"]
    ).all()
    assert (w["economie_competenza"] == w["stanziamento"] - w["impegni"] - w["fpv"]).all()
    r = _wide(_validate(REVENUE, settings).lines, ["body", "titolo", "tipologia"])
    assert (r["riscossioni"] == r["riscossioni_competenza"] + r["riscossioni_residui"]).all()
    assert (r["residui_attivi"] == r["residui_attivi_precedenti"] + r["residui_attivi_competenza"]).all()
    assert (r["residui_attivi_competenza"] == r["accertamenti"] - r["riscossioni_competenza"]).all()
    assert (
        r["residui_attivi_precedenti"]
        == r["residui_attivi_iniziali"] - r["riscossioni_residui"] + r["riaccertamenti_residui"]
    ).all()


def test_the_resaved_file_loads_the_same_amounts(settings):
    """pandas' re-save: ``,`` and UTF-8, a trailing empty ``Unnamed: 30``, ``15.0`` and ``802150110588.0`` for codes,
    ``1`` for mission 01, blank for zero, ``100.5`` for 100.50: the same non-zero lines as BDAP's own file, and nothing
    to report."""
    columns = ["body", "year", "phase", "missione", "amount_kind", "amount_cents"]
    original = _validate(SPENDING, settings).lines.filter(pl.col("amount_cents") != 0).select(columns).sort(columns)
    resaved = _validate(RESAVED, settings)
    assert resaved.findings == []
    assert resaved.lines.select(columns).sort(columns).equals(original)


def test_bdap_spellings_are_data_in_the_layout_files():
    """Every amount header of the fixtures is listed, folded, in its layout profile; the typo and the correct spelling
    both."""
    profiles = {
        p.stem.split("_", 1)[1]: yaml.safe_load(p.read_text(encoding="utf-8"))
        for p in (DATA_DIR / "layouts").glob("*.yaml")
    }
    missions, revenue, national = profiles["bdap_missions"], profiles["bdap_revenue"], profiles["bdap_programmes"]
    for fixture, profile in [(SPENDING, missions), (REVENUE, revenue), (NATIONAL, national), (FORECAST, missions)]:
        header = (FIXTURES / fixture).read_bytes().decode("latin-1").split("\r\n")[0].split(";")
        known = {t for texts in profile["amount_columns"].values() for t in texts} | {
            t for texts in profile.get("columns_not_kept", {}).values() for t in texts
        }
        amounts = [
            h.strip('"')
            for h in header
            if h and fold_text(h) not in {t for ts in profile["columns"].values() for t in ts}
        ]
        amounts = [
            h
            for h in amounts
            if not h.startswith(("Codice ", "Cod ", "Descrizione ", "Denominazione", "CF ", "Data ", "Esercizio"))
        ]
        assert amounts and all(fold_text(h) in known for h in amounts), [
            h for h in amounts if fold_text(h) not in known
        ]
    assert {"fondo puriennale vincolato", "fondo pluriennale vincolato"} <= set(missions["amount_columns"]["fpv"])
    assert fold_text("Pre.  Def. in CC") in revenue["amount_columns"]["stanziamento"]


def test_the_correct_spelling_loads_as_well_as_bdaps_typo(tmp_path, settings):
    text = (
        (FIXTURES / SPENDING)
        .read_bytes()
        .decode("latin-1")
        .replace("Fondo Puriennale Vincolato", "Fondo Pluriennale Vincolato")
    )
    (tmp_path / SPENDING).write_bytes(text.encode("latin-1"))
    fixed = _validate(SPENDING, settings, tmp_path / SPENDING)
    assert fixed.ok and _stated(fixed.lines, "missione") == EXPECTED[SPENDING]["bodies"]


def test_a_file_of_comuni_only_says_which_bodies_it_holds(settings):
    result = _validate(COMUNI, settings)
    [finding] = result.findings
    assert (finding.code, finding.cell, finding.row) == ("BDAP_NO_BODY", "C2", 2) and result.lines.is_empty()
    assert EXPECTED[COMUNI]["found"] in finding.message(
        "it"
    ) and "areavasta analizza soltanto le province e le città metropolitane" in finding.message("it")
    assert EXPECTED[COMUNI]["found"] in finding.message(
        "en"
    ) and "provinces and metropolitan cities only" in finding.message("en")


def test_a_column_recognised_but_not_kept_is_said_with_its_cell(settings):
    notes = [f for f in _validate(FORECAST, settings).findings if f.code == "COLUMN_NOT_KEPT"]
    assert [(f.severity, f.cell) for f in notes] == [("info", "R1"), ("info", "S1")]
    assert "esercizio precedente" in notes[0].message("it") and "previous year" in notes[0].message("en")
    [derived] = [f for f in _validate(REVENUE, settings).findings if f.code == "COLUMN_NOT_KEPT"]
    assert derived.params["label"] == "Magg./Min. Entrate in CC" and "ricalcola" in derived.message("it")


def test_an_unknown_column_with_values_is_a_warning_an_empty_one_says_nothing(tmp_path, settings):
    text = (FIXTURES / SPENDING).read_bytes().decode("latin-1").replace('"Economie C/Competenza"', '"Colonna nuova"', 1)
    (tmp_path / SPENDING).write_bytes(text.encode("latin-1"))
    result = _validate(SPENDING, settings, tmp_path / SPENDING)
    [warning] = [f for f in result.findings if f.code == "COLUMN_NOT_READ"]
    assert (
        result.ok
        and warning.severity == "warning"
        and warning.cell == "AA1"
        and warning.params["label"] == "Colonna nuova"
    )
    assert "Open data BDAP - riepilogo spese per missione" in warning.message(
        "it"
    ) and "spending summary by mission" in warning.message("en")
    assert "economie_competenza" not in set(result.lines["amount_kind"])
    # the trailing empty field of every BDAP line (the re-save's "Unnamed: 30") holds nothing: nothing to say
    assert _validate(SPENDING, settings).findings == []


def test_a_broken_identity_is_a_warning_at_its_cell(tmp_path, settings):
    """A total payments cell edited after the download: the file still loads, the row and column are named."""
    rows = (FIXTURES / SPENDING).read_bytes().decode("latin-1").split("\r\n")
    header = [h.strip('"') for h in rows[0].split(";")]
    cells = rows[1].split(";")
    column = header.index("Totale Pagamenti")
    cells[column] = '"1.00"'
    rows[1] = ";".join(cells)
    (tmp_path / SPENDING).write_bytes("\r\n".join(rows).encode("latin-1"))
    result = _validate(SPENDING, settings, tmp_path / SPENDING)
    [warning] = [f for f in result.findings if f.code == "AMOUNT_RELATION"]
    assert result.ok and (warning.cell, warning.row) == ("W2", 2) and warning.params["kind"] == "pagamenti"
    assert "totale pagamenti = pagamenti in conto competenza + pagamenti in conto residui" in warning.message("it")
    assert "total payments" in warning.message("en") and warning.params["stated"].startswith("1,00")


@pytest.mark.parametrize(("cents", "warned"), [(2, False), (3, True), (-3, True)])
def test_an_identity_holds_within_two_cents_of_rounding(tmp_path, settings, cents, warned):
    """Each column is rounded to the cent on its own: two cents off is rounding, three is an edit."""
    rows = (FIXTURES / SPENDING).read_bytes().decode("latin-1").split("\r\n")
    header = [h.strip('"') for h in rows[0].split(";")]
    cells = rows[1].split(";")
    column = header.index("Totale Pagamenti")
    stated = round(float(cells[column].strip('"')) * 100) + cents
    cells[column] = f'"{stated // 100}.{stated % 100:02d}"'
    rows[1] = ";".join(cells)
    (tmp_path / SPENDING).write_bytes("\r\n".join(rows).encode("latin-1"))
    found = [(f.cell, f.params["relation"]) for f in _validate(SPENDING, settings, tmp_path / SPENDING).findings]
    assert found == ([("W2", "payments_total")] if warned else [])


def test_a_broken_revenue_identity_is_a_warning_too(tmp_path, settings):
    rows = (FIXTURES / REVENUE).read_bytes().decode("latin-1").split("\r\n")
    header = [h.strip('"') for h in rows[0].split(";")]
    cells = rows[3].split(";")
    cells[header.index("Res. Att. da riportare da CC")] = '"0.00"'
    rows[3] = ";".join(cells)
    (tmp_path / REVENUE).write_bytes("\r\n".join(rows).encode("latin-1"))
    warnings = [f for f in _validate(REVENUE, settings, tmp_path / REVENUE).findings if f.code == "AMOUNT_RELATION"]
    assert {(f.row, f.params["relation"]) for f in warnings} == {(4, "receivables_total"), (4, "receivables_of_year")}


def test_the_annex_sheet_with_one_macroaggregate_beside_totale_is_read(settings):
    result = _validate(ANNEX, settings)
    assert not [f for f in result.findings if f.code == "HEADER_NOT_FOUND"]
    title4 = result.lines.filter(pl.col("sheet") == "Titolo 4")
    assert title4.select("programma", "macroaggregato").unique().rows() == [("50.02", "4.03")]
    assert set(result.lines["sheet"]) == {"Titolo 1", "Titolo 2", "Titolo 4"}


def test_the_total_merged_down_over_the_header_is_checked(tmp_path, settings):
    """TOTALE is written on the row above the macroaggregate names: its column is still the table's total column."""
    import openpyxl

    workbook = openpyxl.load_workbook(FIXTURES / ANNEX)
    sheet = workbook["Titolo 4"]
    sheet["D9"] = sheet["D9"].value + 1000  # beyond the 1-euro tolerance
    workbook.save(tmp_path / ANNEX)
    errors = [(f.code, f.sheet, f.cell) for f in _validate(ANNEX, settings, tmp_path / ANNEX).findings if f.is_error]
    assert errors == [("TOTAL_COLUMN_MISMATCH", "Titolo 4", "D9")]


def test_revenue_tipologia_codes_in_every_spelling(tmp_path, settings):
    """The tipologia's number within its title (``101``), the five-digit code, a re-save's ``101.0``: the same lines."""
    original = (
        _validate(REVENUE, settings).lines.select("body", "tipologia", "amount_kind", "amount_cents").sort(pl.all())
    )
    rows = (FIXTURES / REVENUE).read_bytes().decode("latin-1").split("\r\n")
    for spelling in (lambda title, number: f"{int(title)}0{number}", lambda title, number: f"{number}.0"):
        out = [rows[0]]
        for row in rows[1:]:
            cells = row.split(";")
            if len(cells) > 18:
                cells[17] = '"' + spelling(cells[15].strip('"'), cells[17].strip('"')) + '"'
            out.append(";".join(cells))
        (tmp_path / REVENUE).write_bytes("\r\n".join(out).encode("latin-1"))
        again = _validate(REVENUE, settings, tmp_path / REVENUE)
        assert again.ok and again.lines.select("body", "tipologia", "amount_kind", "amount_cents").sort(
            pl.all()
        ).equals(original)


def test_the_national_extract_gives_peers_every_kind(settings):
    spec = EXPECTED[NATIONAL]
    outcome = load_national(FIXTURES / NATIONAL, settings)
    assert outcome.ok and outcome.phase == "rendiconto" and outcome.findings == [], [
        f.message() for f in outcome.findings
    ]
    with warehouse.connect(settings.warehouse_path) as con:
        lines = warehouse.read_table(con, "national_lines")
    assert set(lines["amount_kind"]) == SPENDING_KINDS
    assert _stated(lines, "missione") == spec["bodies"]
    w = _wide(lines, ["body", "programma", "titolo", "macroaggregato"])
    assert (w["residui_passivi"] == w["residui_passivi_precedenti"] + w["residui_passivi_competenza"]).all()
    assert (
        w["residui_passivi_precedenti"]
        == w["residui_passivi_iniziali"] - w["pagamenti_residui"] + w["riaccertamenti_residui"]
    ).all()


def test_a_national_column_not_kept_is_said(tmp_path, settings):
    text = (
        (FIXTURES / NATIONAL)
        .read_bytes()
        .decode("latin-1")
        .replace('"Previsioni Definitive di Cassa"', '"Previsioni in CR Esercizio Precedente"', 1)
    )
    (tmp_path / NATIONAL).write_bytes(text.encode("latin-1"))
    outcome = load_national(tmp_path / NATIONAL, settings)
    assert outcome.ok and [(f.code, f.cell) for f in outcome.findings] == [("COLUMN_NOT_KEPT", "Z1")]


def test_both_summaries_reach_the_warehouse_with_every_kind(settings):
    outcomes = ingest_files([FIXTURES / SPENDING, FIXTURES / REVENUE], settings)
    assert [o.status for o in outcomes] == ["accepted", "accepted"], [
        [f.message() for f in o.findings] for o in outcomes
    ]
    with warehouse.connect(settings.warehouse_path) as con:
        budget = warehouse.read_table(con, "budget_lines")
        revenue = warehouse.read_table(con, "revenue_lines")
    assert _stated(budget, "missione") == EXPECTED[SPENDING]["bodies"]
    assert _stated(revenue, "titolo") == EXPECTED[REVENUE]["bodies"]
    assert set(revenue["tipologia"].str.len_chars()) == {5}
