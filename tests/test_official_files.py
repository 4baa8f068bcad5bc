"""Files shaped like the ones officers really have (tests/fixtures/official, built from the official
schemes independently of ``areavasta sample``): each loads with its totals intact.

Reconciliation invariant, for every fixture: per amount kind, the sum of the loaded lines equals
the file's own grand total to the cent, and equals the sum of its mission (or revenue title) totals.
"""

from __future__ import annotations

import json
from pathlib import Path

import polars as pl
import pytest

from sources import mappings
from sources.intake import validate_file
from warehouse import store as warehouse
from warehouse.ingest import ingest_files

FIXTURES = Path(__file__).parent / "fixtures" / "official"
EXPECTED = json.loads((FIXTURES / "expected.json").read_text(encoding="utf-8"))
LOADABLE = [name for name, spec in EXPECTED.items() if not spec.get("errors")]


def _validate(name: str, settings, **extra):
    spec = EXPECTED[name]
    return validate_file(FIXTURES / name, settings, body=spec["body"], year=spec["year"], phase=spec["phase"], **extra)


def _by(frame: pl.DataFrame, *keys: str) -> dict:
    grouped = frame.group_by(*keys).agg(pl.col("amount_cents").sum())
    if len(keys) == 1:
        return dict(grouped.iter_rows())
    out: dict = {}
    for a, b, value in grouped.iter_rows():
        out.setdefault(a, {})[b] = value
    return out


@pytest.mark.parametrize("name", LOADABLE)
def test_official_file_loads_with_its_totals(name, settings):
    spec = EXPECTED[name]
    result = _validate(name, settings)
    assert result.layout == spec["layout"]
    assert result.ok, [f.message() for f in result.findings if f.is_error]
    assert sorted({f.code for f in result.findings}) == sorted(spec["warnings"])
    assert all("{" not in f.message("it") and "{" not in f.message("en") for f in result.findings)
    assert _by(result.lines, "amount_kind") == spec["totals"]  # the file's own grand total, to the cent
    if spec["table"] == "spese":
        per_mission = _by(result.lines, "amount_kind", "missione")
        assert per_mission == spec["mission_totals"]
        assert {k: sum(v.values()) for k, v in per_mission.items()} == spec["totals"]
    else:
        per_title = _by(result.lines, "amount_kind", "titolo")
        assert per_title == spec["title_totals"]
        assert {k: sum(v.values()) for k, v in per_title.items()} == spec["totals"]


def test_a_short_table_whose_header_is_one_item_and_the_total_is_read_as_its_own_table(tmp_path, settings):
    """Title 5 has one macroaggregate: its table's header may hold just that item and TOTALE (the label captions printed
    once, above the first table). It is a header of its own, not programme rows of the title 1 table."""
    import openpyxl

    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.title = "Impegni"
    for row in [
        ["PROVINCIA DI PADOVA"],
        ["RENDICONTO DELLA GESTIONE 2023"],
        ["SPESE PER MISSIONI, PROGRAMMI E MACROAGGREGATI - IMPEGNI"],
        [],
        ["TITOLO 1 - SPESE CORRENTI"],
        [
            "Codice",
            "Missione / Programma",
            "101 Redditi da lavoro dipendente",
            "103 Acquisto di beni e servizi",
            "104 Trasferimenti correnti",
            "TOTALE",
        ],
        ["MISSIONE 10", "Trasporti e diritto alla mobilità"],
        ["1005", "Viabilità e infrastrutture stradali", 1000.0, 2000.5, 300.0, 3300.5],
        ["TOTALE TITOLO 1", None, 1000.0, 2000.5, 300.0, 3300.5],
        [],
        ["TITOLO 5 - CHIUSURA ANTICIPAZIONI RICEVUTE"],
        [None, None, "501 Chiusura Anticipazioni ricevute da istituto tesoriere/cassiere", "TOTALE"],
        ["MISSIONE 60", "Anticipazioni finanziarie"],
        ["6001", "Restituzione anticipazioni di tesoreria", 5000.25, 5000.25],
        ["TOTALE TITOLO 5", None, 5000.25, 5000.25],
    ]:
        sheet.append(row)
    workbook.save(tmp_path / "allegato_titoli.xlsx")
    result = validate_file(tmp_path / "allegato_titoli.xlsx", settings, body="028", year=2023, phase="rendiconto")
    assert result.layout == "annex_macroaggregates" and result.ok and result.findings == []
    assert sorted(result.lines.select("programma", "macroaggregato", "amount_kind", "amount_cents").rows()) == [
        ("10.05", "1.01", "impegni", 1000_00),
        ("10.05", "1.03", "impegni", 2000_50),
        ("10.05", "1.04", "impegni", 300_00),
        ("60.01", "5.01", "impegni", 5000_25),
    ]


def test_open_format_pagato_is_total_payments_and_may_exceed_commitments(settings):
    lines = _validate("rendiconto_2023_formato_aperto_spese.csv", settings).lines
    assert "pagamenti_competenza" not in lines["amount_kind"].to_list()
    wide = lines.group_by("missione", "macroaggregato").agg(
        paid=pl.col("amount_cents").filter(pl.col("amount_kind") == "pagamenti").sum(),
        committed=pl.col("amount_cents").filter(pl.col("amount_kind") == "impegni").sum(),
    )
    assert wide.filter(pl.col("paid") > pl.col("committed")).height > 0


def test_damaged_name_is_placed_by_order_with_a_warning_naming_column_and_mission(settings):
    result = _validate("rendiconto_2022_formato_aperto_spese_nomi_danneggiati.csv", settings)
    [warning] = [f for f in result.findings if f.code == "COLUMN_PLACED_BY_ORDER"]
    assert "competitivitàPolitiche" in warning.params["label"] and warning.params["mission"].startswith("14 ")
    assert warning.cell and warning.cell.endswith("1")
    assert "missione 14" in warning.message("it") and "mission 14" in warning.message("en")


def test_order_placement_needs_the_totals_to_agree(tmp_path, settings):
    """Break one total cell: the column placed by order is no longer confirmed, so the file is refused."""
    name = "rendiconto_2022_formato_aperto_spese_nomi_danneggiati.csv"
    rows = (FIXTURES / name).read_bytes().decode("latin-1").split("\r\n")
    cells = rows[3].split(";")
    header = rows[0].split(";")
    total = header.index("Totale generale delle spese Impegnato")
    cells[total] = "1,00"
    rows[3] = ";".join(cells)
    broken = tmp_path / name
    broken.write_bytes("\r\n".join(rows).encode("latin-1"))
    result = validate_file(broken, settings, body="028", year=2022, phase="rendiconto")
    codes = {f.code for f in result.findings if f.is_error}
    assert "COLUMN_UNMATCHED" in codes and "TOTAL_COLUMN_MISMATCH" in codes and not result.ok


def test_blank_total_cells_are_blank_not_zero(tmp_path, settings):
    """A Totale Missione row filling only its total column is checked on that column alone; a wrong one is found
    there."""
    import openpyxl

    name = "allegato_rendiconto_2023_macroaggregati.xlsx"
    workbook = openpyxl.load_workbook(FIXTURES / name)
    sheet = workbook.active
    target = next(row for row in sheet.iter_rows() if str(row[0].value or "").startswith("Totale Missione"))
    total_cell = next(c for c in target if isinstance(c.value, (int, float)))
    total_cell.value = total_cell.value + 1000
    workbook.save(tmp_path / name)
    result = validate_file(tmp_path / name, settings, body="028", year=2023, phase="rendiconto")
    errors = [f for f in result.findings if f.is_error]
    assert [(f.code, f.cell) for f in errors] == [("TOTAL_COLUMN_MISMATCH", total_cell.coordinate)]
    assert "0,00" not in errors[0].params["stated"] and errors[0].params["difference"].startswith("1.000,00")


def test_revenue_export_loads_into_its_own_table_and_leaves_spending_current(settings):
    spending = FIXTURES / "rendiconto_2023_formato_aperto_spese.csv"
    revenue = FIXTURES / "rendiconto_2023_formato_aperto_entrate.csv"
    outcomes = ingest_files([spending, revenue], settings, body="201", year=2023, phase="rendiconto", user="test")
    assert [o.status for o in outcomes] == ["accepted", "accepted"]
    with warehouse.connect(settings.warehouse_path) as con:
        uploads = warehouse.uploads(con)
        revenue_rows = con.execute(
            "SELECT titolo, tipologia, amount_kind, amount_cents, cell FROM core.revenue_lines"
        ).pl()
        spending_total = con.execute(
            "SELECT sum(amount_cents) FROM core.budget_lines WHERE amount_kind = 'impegni'"
        ).fetchone()[0]
    assert uploads["status"].to_list() == ["current", "current"] and sorted(uploads["content"]) == ["budget", "revenue"]
    spec = EXPECTED["rendiconto_2023_formato_aperto_entrate.csv"]
    assert _by(revenue_rows, "amount_kind") == spec["totals"]
    assert spending_total == EXPECTED["rendiconto_2023_formato_aperto_spese.csv"]["totals"]["impegni"]
    assert revenue_rows.filter(pl.col("tipologia") == "10101")["cell"].to_list()[0].startswith("C")
    assert set(revenue_rows["titolo"]) <= {"1", "2", "3", "4", "5", "6", "7", "9"}


def test_unplaceable_column_is_refused_with_its_candidates_then_mapped_and_remembered(tmp_path, settings):
    name = "rendiconto_2023_formato_aperto_colonna_ignota.csv"
    spec = EXPECTED[name]
    refused = _validate(name, settings)
    [error] = [f for f in refused.findings if f.is_error]
    assert error.code == "COLUMN_UNMATCHED" and error.cell == "O1"  # first column of the group after 09 (L-N)
    assert "10 Trasporti" in error.message("it") and "11 Soccorso civile" in error.message("it")
    skeleton = mappings.skeleton(name, refused.layout, "029", refused.unplaced)
    assert "Missione ### (descrizione non disponibile)" in skeleton and 'missione: "10"' in skeleton
    filled = skeleton.replace(
        '"Missione ### (descrizione non disponibile)": {}',
        '"Missione ### (descrizione non disponibile)": {missione: "10"}',
    )
    mapping, problems = mappings.parse(filled, "mappa.yaml")
    assert problems == []
    accepted = _validate(name, settings, mapping=mapping)
    assert accepted.ok and _by(accepted.lines, "amount_kind") == spec["totals"]
    assert _by(accepted.lines, "amount_kind", "missione") == spec["mission_totals"]
    mappings.store(settings, "029", refused.fingerprint, mapping, layout=refused.layout, file_name=name, user="rossi")
    # next year, same software, same damage: applied without asking
    next_year = tmp_path / "rendiconto_2024.csv"
    next_year.write_bytes((FIXTURES / name).read_bytes())
    again = validate_file(next_year, settings, body="029", year=2024, phase="rendiconto")
    assert again.ok and again.findings[0].code == "MAPPING_APPLIED" and "rossi" in again.findings[0].message()
    # another body's officer does not inherit it
    other = validate_file(next_year, settings, body="028", year=2024, phase="rendiconto")
    assert not other.ok


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ('colonne:\n  X: {missione: "33"}\n', "inesistente"),
        ("colonne:\n  X: {colore: rosso}\n", "sconosciuta"),
        ("colonne:\n  X: {}\n", "da compilare"),
        ('righe:\n  X: {programma: "04.02", missione: "10"}\n', "non appartiene"),
        ("colonne: [1, 2\n", "YAML"),
        ("", "nessuna voce"),
    ],
)
def test_bad_mapping_is_refused_in_words(text, fragment):
    mapping, problems = mappings.parse(text, "mappa.yaml")
    assert mapping is None and problems[0].code == "MAPPING_INVALID" and fragment in problems[0].message()


def test_comune_uploaded_as_metropolitan_city_is_warned_in_plain_words(settings):
    result = _validate("comune_2023_formato_aperto_spese.csv", settings)
    [warning] = [f for f in result.findings if f.code == "BODY_AMOUNTS_IMPLAUSIBLE"]
    text = warning.message("it")
    assert "Città metropolitana di Bologna" in text and "comune" in text and result.ok
    assert float(warning.params["ratio"].replace(",", ".")) > 3


def test_a_name_claimed_by_two_column_groups_is_trusted_for_neither(tmp_path, settings):
    """The export shifted a name: mission 14's columns carry mission 15's name. Order places both, totals confirm."""
    from tests.fixtures.official import build

    matrix = build.Matrix(31, ["Impegnato", "FPV", "Pagato"], scale=10.0)
    path = tmp_path / "spostato.csv"
    build.write_csv(
        path, build.open_format_rows(matrix, list(build.MISSIONS), {"14": build.MISSIONS["15"]}, one_row=True)
    )
    result = validate_file(path, settings, body="028", year=2023, phase="rendiconto")
    assert result.ok, [f.message() for f in result.findings if f.is_error]
    placed = sorted(f.params["mission"][:2] for f in result.findings if f.code == "COLUMN_PLACED_BY_ORDER")
    assert placed == ["14", "15"]
    assert _by(result.lines, "amount_kind", "missione") == {
        {"Impegnato": "impegni", "FPV": "fpv", "Pagato": "pagamenti"}[k]: matrix.mission_totals(k) for k in matrix.kinds
    }
