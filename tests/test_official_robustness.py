"""Damaged official-scheme files never raise: every problem is a located finding in Italian and English."""

from __future__ import annotations

from pathlib import Path

from hypothesis import HealthCheck, given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from sources.intake import validate_file

FIXTURES = Path(__file__).parent / "fixtures" / "official"
CSV = sorted(p.name for p in FIXTURES.glob("*.csv"))
GARBAGE = [
    "",
    "abc",
    "1.2.3,4,5",
    "#N/D",
    "-",
    "0,001",
    "1e9",
    "(12,00)",
    "TOTALE",
    "MACROAGGR. 99 - X",
    "TIPOLOGIA 999 - X",
    "Turismo Impegnato",
    "Totale generale delle spese FPV",
    "TITOLO XI - x",
    "€ 1.000,00",
]

edit = st.tuples(
    st.sampled_from(["blank", "garbage", "drop_row", "dup_row", "swap_header", "truncate"]),
    st.integers(0, 10_000),
    st.integers(0, 10_000),
    st.sampled_from(GARBAGE),
)


def _mutate(text: str, edits) -> str:
    rows = [r.split(";") for r in text.split("\r\n")]
    for kind, a, b, junk in edits:
        r = a % len(rows)
        c = b % max(1, len(rows[r]))
        if kind == "blank" and rows[r]:
            rows[r][c] = ""
        elif kind == "garbage" and rows[r]:
            rows[r][c] = junk
        elif kind == "drop_row" and len(rows) > 2:
            rows.pop(r)
        elif kind == "dup_row":
            rows.insert(r, list(rows[r]))
        elif kind == "swap_header" and len(rows[0]) > 3:
            i, j = a % len(rows[0]), b % len(rows[0])
            rows[0][i], rows[0][j] = rows[0][j], rows[0][i]
        elif kind == "truncate":
            joined = "\r\n".join(";".join(x) for x in rows)
            return joined[: max(1, (a * len(joined)) // 10_000)]
    return "\r\n".join(";".join(x) for x in rows)


@hsettings(
    max_examples=int(__import__("os").environ.get("ROBUST_EXAMPLES", 60)),
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(name=st.sampled_from(CSV), edits=st.lists(edit, min_size=1, max_size=4))
def test_damaged_official_files_never_raise_and_every_finding_is_located_and_translated(
    tmp_path, settings, name, edits
):
    text = (FIXTURES / name).read_bytes().decode("latin-1" if not name.endswith("due_righe.csv") else "utf-8-sig")
    path = tmp_path / name
    path.write_bytes(_mutate(text, edits).encode("latin-1", errors="replace"))
    result = validate_file(path, settings, body="201", year=2023, phase="rendiconto")
    for finding in result.findings:
        assert finding.file == name
        assert "{" not in finding.message("it") and "{" not in finding.message("en")
    if not result.ok:
        assert any(
            f.cell
            or f.row
            or f.code
            in {
                "NO_DATA",
                "HEADER_NOT_FOUND",
                "LAYOUT_UNKNOWN",
                "FILE_EMPTY",
                "ENCODING_UNREADABLE",
                "FILE_NOT_SPREADSHEET",
                "BODY_CONFLICT",
                "YEAR_CONFLICT",
                "PHASE_CONFLICT",
            }
            for f in result.findings
            if f.is_error
        )


XLSX = sorted(p.name for p in FIXTURES.glob("*.xlsx"))


@hsettings(
    max_examples=int(__import__("os").environ.get("ROBUST_EXAMPLES", 60)) // 3,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(name=st.sampled_from(XLSX), edits=st.lists(edit, min_size=1, max_size=4))
def test_damaged_official_workbooks_never_raise(tmp_path, settings, name, edits):
    import openpyxl

    workbook = openpyxl.load_workbook(FIXTURES / name)
    sheet = workbook.worksheets[edits[0][1] % len(workbook.worksheets)]
    for merged in list(sheet.merged_cells.ranges):  # editing inside a merged range is not what an officer can do either
        sheet.unmerge_cells(str(merged))
    for kind, a, b, junk in edits:
        row, column = 1 + a % sheet.max_row, 1 + b % sheet.max_column
        if kind in ("blank", "truncate"):
            sheet.cell(row, column).value = None
        elif kind == "garbage":
            sheet.cell(row, column).value = junk
        elif kind == "drop_row":
            sheet.delete_rows(row)
        elif kind in ("dup_row", "swap_header"):
            sheet.insert_rows(row)
    path = tmp_path / name
    workbook.save(path)
    result = validate_file(path, settings, body="028", year=2023, phase="rendiconto")
    assert all("{" not in f.message("it") and "{" not in f.message("en") for f in result.findings)
    assert result.ok or any(f.is_error for f in result.findings)
