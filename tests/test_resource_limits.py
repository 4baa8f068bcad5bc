"""One upload cannot exhaust the server: sizes are measured on the content while it streams, whatever the file claims,
and what is kept about a file is bounded (issue 25, item 1). Time and memory figures: ``bench/attacks.py``."""

from __future__ import annotations

import dataclasses
import re
import zipfile
from pathlib import Path

import polars as pl
import pytest
from hypothesis import given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from sources.container import inspect_file
from sources.findings import KEPT, PER_RULE, Finding, capped, has_errors
from sources.intake import validate_file
from sources.sheet_extent import cell_extent
from tests import malformed as m


def _pad_sheet(source: Path, target: Path, extra_rows: int) -> Path:
    """The template with ``extra_rows`` one-cell rows appended to its data sheet, its ``<dimension>`` left as it was."""
    return m.edit_sheet_xml(source, target, lambda xml: m.appended_rows(xml, count=extra_rows))


def _sheet_xml(body: bytes, dimension: bytes = b"A1:B2") -> bytes:
    """A worksheet written by hand, as other programs write them (no generator of ours)."""
    return (
        b'<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
        b'<dimension ref="' + dimension + b'"/><sheetData>' + body + b"</sheetData></worksheet>"
    )


def _measure(tmp_path: Path, xml: bytes, piece: int = 1 << 20, **limits):
    from sources.settings import load_settings

    settings = dataclasses.replace(
        load_settings(), **{"max_rows": 10**9, "max_columns": 10**9, "max_cells": 10**18, **limits}
    )
    path = m.zip_with(tmp_path / "s.zip", {"sheet.xml": xml})
    with zipfile.ZipFile(path) as archive:
        return cell_extent(archive, "sheet.xml", settings, piece, prefixed=b"<x:worksheet" in xml)


def _extent(tmp_path: Path, xml: bytes, piece: int = 1 << 20, **limits) -> tuple[int, int]:
    return _measure(tmp_path, xml, piece, **limits).size


def test_rows_hidden_under_a_small_dimension_are_counted(tmp_path, settings):
    padded = _pad_sheet(m.template(tmp_path / "t.xlsx"), tmp_path / "padded.xlsx", 400)
    container, findings = inspect_file(padded, dataclasses.replace(settings, max_rows=300))
    assert container is None and [f.code for f in findings] == ["SHEET_TOO_LARGE"]
    assert (
        findings[0].sheet == "Dati" and findings[0].params["rows"] > 300
    )  # a lower bound: the count stops past the limit
    container, findings = inspect_file(padded, dataclasses.replace(settings, max_rows=1000))
    assert findings == [] and container.kind == "xlsx"


def test_the_area_of_the_cells_is_bounded_not_only_rows_and_columns(tmp_path, settings):
    padded = _pad_sheet(m.template(tmp_path / "t.xlsx"), tmp_path / "padded.xlsx", 400)
    _, findings = inspect_file(
        padded, dataclasses.replace(settings, max_cells=8 * 300)
    )  # the data sheet is 8 columns wide
    assert [f.code for f in findings] == ["SHEET_TOO_LARGE"] and findings[0].params["max_cells"] == 2400


def test_a_lying_dimension_does_not_move_the_cells_the_officer_is_told(tmp_path, settings):
    bad = m.template(tmp_path / "t.xlsx", m.GOOD_ROWS.with_columns(missione=pl.lit("77")))
    lying = m.edit_sheet_xml(
        bad, tmp_path / "bugiardo.xlsx", lambda xml: re.sub(rb'<dimension ref="[^"]+"', b'<dimension ref="C5:D6"', xml)
    )
    cells = [
        [f.cell for f in validate_file(path, settings).findings if f.code == "MISSION_UNKNOWN"] for path in (bad, lying)
    ]
    assert cells[0] == cells[1] and cells[0][0].startswith("A")


def test_cells_without_references_follow_each_other(tmp_path):
    row = b'<row r="3">' + b"<c><v>1</v></c>" * 40 + b"</row>"
    assert _extent(tmp_path, _sheet_xml(row)) == (1, 40)
    assert _extent(tmp_path, _sheet_xml(b"<row><c><v>1</v></c></row>" * 7)) == (7, 1)  # rows without r too


def test_formatted_cells_count_rows_without_cells_do_not_and_namespaced_tags_are_read(tmp_path):
    body = b'<row r="2"><c r="B2"><v>1</v></c><c r="Z2" s="3"/></row><row r="900" s="1" customFormat="1"/>'
    assert _extent(tmp_path, _sheet_xml(body)) == (
        1,
        25,
    )  # a formatted cell is held by the reader; a row's format is not
    prefixed = (
        b'<x:worksheet xmlns:x="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><x:sheetData>'
        b'<x:row r="4"><x:c r="C4" t="s"><x:v>0</x:v></x:c><x:c><x:v>2</x:v></x:c></x:row></x:sheetData></x:worksheet>'
    )
    assert _extent(tmp_path, prefixed) == (1, 2)
    path = m.zip_with(tmp_path / "p.zip", {"xl/worksheets/sheet1.xml": prefixed})
    with zipfile.ZipFile(path) as archive:  # the prefix is told by the sheet's first bytes
        from sources.container import SheetInfo, _sheet_size
        from sources.settings import load_settings

        assert (
            _sheet_size(
                archive,
                SheetInfo("S", "xl/worksheets/sheet1.xml"),
                "p.xlsx",
                dataclasses.replace(load_settings(), max_columns=1),
            )[0].params["columns"]
            == 2
        )


def test_two_cells_at_far_corners_are_an_area_not_two_cells(tmp_path, settings):
    """The reader holds the whole rectangle between the cells: 20,000 rows by 400 columns is 8 million cells."""
    corners = _sheet_xml(b'<row r="1"><c r="A1"><v>1</v></c></row><row r="20000"><c r="OJ20000"><v>2</v></c></row>')
    workbook = m.edit_sheet_xml(m.template(tmp_path / "t.xlsx"), tmp_path / "angoli.xlsx", lambda _: corners)
    container, findings = inspect_file(workbook, settings)
    assert container is None and [f.code for f in findings] == ["SHEET_TOO_LARGE"]
    assert (findings[0].params["rows"], findings[0].params["columns"]) == (20000, 400)


def test_the_count_stops_once_a_limit_is_passed(tmp_path):
    """A lower bound, not a full count: the rest of a hostile sheet is never read."""
    rows = b"".join(
        b'<row r="%d"><c r="A%d"><v>1</v></c><c r="B%d"><v>2</v></c></row>' % (i, i, i) for i in range(1, 2001)
    )
    assert _extent(tmp_path, _sheet_xml(rows), piece=256) == (2000, 2)
    stopped = _extent(tmp_path, _sheet_xml(rows), piece=256, max_cells=100)
    assert stopped[0] * stopped[1] > 100 and stopped[0] < 200
    assert _extent(tmp_path, _sheet_xml(rows), piece=256, max_rows=50)[0] < 200


cells = st.lists(
    st.tuples(st.integers(1, 60), st.integers(0, 30), st.booleans()), min_size=1, max_size=40, unique_by=lambda c: c[:2]
)


def _cell(col: int, row: int, filled: bool, referenced: bool) -> bytes:
    from sources.findings import column_letter

    ref = b' r="%s%d"' % (column_letter(col).encode(), row) if referenced else b""
    return b"<c" + ref + (b' t="inlineStr"><is><t>v</t></is></c>' if filled else b' s="1"/>')


@hsettings(max_examples=80, deadline=None)
@given(cells=cells, piece=st.sampled_from([1, 2, 7, 33, 4096, 1 << 20]), drop=st.integers(0, 3))
def test_the_extent_is_exact_whatever_the_pieces_it_streams_in(tmp_path_factory, cells, piece, drop):
    """Pieces that cut tags anywhere; cells that omit their reference where they follow the cell before (walked)."""
    by_row: dict[int, list] = {}
    for row, col, filled in sorted(cells):
        by_row.setdefault(row, []).append((col, filled))
    body = b""
    for number, (row, row_cells) in enumerate(sorted(by_row.items())):
        previous = -1
        parts = []
        for col, filled in sorted(row_cells):
            parts.append(_cell(col, row, filled, referenced=not (drop and col == previous + 1 and number % drop == 0)))
            previous = col
        body += b'<row r="%d">' % row + b"".join(parts) + b"</row>"
    filled = [(row, col) for row, col, _ in cells]  # formatted empty cells too
    expected = (
        max(r for r, _ in filled) - min(r for r, _ in filled) + 1,
        max(c for _, c in filled) - min(c for _, c in filled) + 1,
    )
    measured = _measure(tmp_path_factory.mktemp("x"), _sheet_xml(body), piece)
    assert measured.size == expected
    assert measured.origin == (
        min(r for r, _ in filled) - 1,
        min(c for _, c in filled),
    )  # where the parser's grid starts


def test_a_csv_with_a_million_separators_is_refused_before_it_is_parsed(tmp_path, settings):
    path = tmp_path / "largo.csv"
    path.write_text("missione;programma;importo" + ";" * 1_000_000 + "\n10;10.05;1\n", encoding="utf-8")
    result = validate_file(path, settings)
    assert [f.code for f in result.findings] == ["CSV_TOO_LARGE"]
    assert result.findings[0].params["columns"] > settings.max_columns
    assert "CSV" in result.findings[0].message() and "campi" in result.findings[0].message()


def test_csv_separators_inside_quotes_are_not_fields(tmp_path, settings):
    path = tmp_path / "citato.csv"
    path.write_text('a;b;c\n1;"' + ";" * 30 + '";3\n', encoding="utf-8")
    container, findings = inspect_file(path, dataclasses.replace(settings, max_columns=5))
    assert findings == [] and container.kind == "csv"
    path.write_text("a;b;c\n1;" + ";" * 30 + "3\n", encoding="utf-8")
    _, findings = inspect_file(path, dataclasses.replace(settings, max_columns=5))
    assert [f.code for f in findings] == ["CSV_TOO_LARGE"] and findings[0].params["columns"] == 32


def test_csv_rows_and_area_are_bounded(tmp_path, settings):
    path = tmp_path / "lungo.csv"
    path.write_text("a;b;c\n" + "1;2;3\n" * 120, encoding="utf-8")
    assert [f.code for f in inspect_file(path, dataclasses.replace(settings, max_rows=100))[1]] == ["CSV_TOO_LARGE"]
    assert inspect_file(path, dataclasses.replace(settings, max_rows=121))[1] == []
    assert [f.code for f in inspect_file(path, dataclasses.replace(settings, max_cells=300))[1]] == ["CSV_TOO_LARGE"]


def test_a_rule_broken_on_every_row_is_listed_once_per_row_up_to_a_count(tmp_path, settings):
    rows = pl.concat(
        [m.GOOD_ROWS.with_columns(capitolo=pl.lit(f"C{i}"), missione=pl.lit("77")) for i in range(40)]
    )  # 120 bad rows
    result = validate_file(m.template(tmp_path / "t.xlsx", rows), settings)
    unknown = [f for f in result.findings if f.code == "MISSION_UNKNOWN"]
    assert len(unknown) == PER_RULE and unknown[0].cell.startswith("A")
    more = [f for f in result.findings if f.code == "FINDINGS_MORE"]
    assert [f.params["count"] for f in more] == [120 - PER_RULE]
    assert not result.ok and len(result.findings) <= KEPT + 1


def test_a_key_repeated_on_every_row_is_listed_up_to_a_count(tmp_path, settings):
    rows = pl.concat([m.GOOD_ROWS.head(1)] * 80)  # the same line 80 times: 79 repeats
    result = validate_file(m.template(tmp_path / "t.xlsx", rows), settings)
    assert len([f for f in result.findings if f.code == "DUPLICATE_KEY"]) == PER_RULE
    assert [f.params["count"] for f in result.findings if f.code == "FINDINGS_MORE"] == [79 - PER_RULE]


def test_hundred_thousand_bad_rows_keep_two_hundred_findings(tmp_path, settings):
    padded = _pad_sheet(m.template(tmp_path / "t.xlsx"), tmp_path / "padded.xlsx", 3000)
    result = validate_file(padded, settings)
    assert not result.ok and len(result.findings) == KEPT + 1
    assert (
        result.findings[-1].code == "FINDINGS_LEFT_OUT" and result.findings[-1].params["count"] > 3 * 3000 - KEPT - 50
    )


def _finding(error: bool, i: int) -> Finding:
    return Finding("MISSION_UNKNOWN" if error else "ENCODING_MIXED", file="f", row=i, params={"value": str(i)})


@given(st.lists(st.booleans(), max_size=3 * KEPT))
def test_capping_keeps_the_errors_the_order_and_the_count(flags):
    findings = [_finding(error, i) for i, error in enumerate(flags)]
    kept = capped(findings)
    assert has_errors(kept) == has_errors(findings)
    listed = [f for f in kept if f.code != "FINDINGS_LEFT_OUT"]
    assert len(listed) <= KEPT and len(kept) - len(listed) <= 1
    assert [f.row for f in listed] == sorted(f.row for f in listed)  # the officer reads them in the file's order
    left = sum(f.params["count"] for f in kept if f.code == "FINDINGS_LEFT_OUT")
    assert len(listed) + left == len(findings)
    assert sum(f.is_error for f in listed) == min(sum(flags), KEPT)


def test_one_over_the_cap_is_capped():
    kept = capped([_finding(True, i) for i in range(KEPT + 1)])
    assert len(kept) == KEPT + 1 and kept[-1].code == "FINDINGS_LEFT_OUT" and kept[-1].params == {"count": 1}
    assert capped([_finding(True, i) for i in range(KEPT)])[-1].code == "MISSION_UNKNOWN"


def test_counted_rows_survive_the_cap():
    findings = [_finding(True, i) for i in range(KEPT)] + [Finding("FINDINGS_MORE", file="f", params={"count": 5000})]
    assert capped(findings)[-1].params == {"count": 5000}


@pytest.mark.parametrize("lang", ["it", "en"])
def test_the_words_name_the_limits(lang):
    text = Finding(
        "SHEET_TOO_LARGE",
        file="f",
        sheet="Dati",
        params={"rows": 500001, "columns": 8, "max_rows": 500000, "max_columns": 500, "max_cells": 3000000},
    ).message(lang)
    assert "500001" in text and "3000000" in text and "{" not in text


def test_a_column_of_thousands_of_different_kinds_is_looked_up_for_the_most_frequent_only(
    tmp_path, settings, monkeypatch
):
    from sources.readers import table

    rows = pl.concat(
        [m.GOOD_ROWS.with_columns(capitolo=pl.lit(f"C{i}")) for i in range(3)]  # 9 rows of 'stanziamento'
        + [m.GOOD_ROWS.head(1).with_columns(capitolo=pl.lit(f"X{i}"), amount_kind=pl.lit("cassa")) for i in range(4)]
    )
    path = m.template(tmp_path / "t.xlsx", rows)
    assert [f for f in validate_file(path, settings).findings if f.code == "AMOUNT_KIND_UNKNOWN"] == []
    monkeypatch.setattr(table, "MAX_KIND_LABELS", 1)
    unknown = [f.params["value"] for f in validate_file(path, settings).findings if f.code == "AMOUNT_KIND_UNKNOWN"]
    assert unknown == ["cassa"] * 4  # the most frequent label is still read; the rarer one is not looked up
