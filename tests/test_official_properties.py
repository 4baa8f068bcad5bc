"""Properties of reading official-scheme files: what is loaded does not depend on the order of the
tables, on blank or note rows between them, nor on the spacing and case of header cells.

The files are built with the official-scheme fixture builder (tests/fixtures/official/build.py),
not with ``areavasta sample``.
"""

from __future__ import annotations

import random

import polars as pl
from hypothesis import HealthCheck, given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from sources.intake import validate_file
from tests.fixtures.official import build

KEY = ["missione", "programma", "titolo", "macroaggregato", "amount_kind"]
NOTES = [[], ["Nota: importi in euro"], ["(*) dati provvisori"], ["Note:", None, None]]


def _loaded(result) -> dict:
    assert result.ok, [f.message() for f in result.findings if f.is_error]
    return dict(
        result.lines.group_by(KEY)
        .agg(pl.col("amount_cents").sum())
        .select(pl.concat_str(KEY, separator="|", ignore_nulls=True), "amount_cents")
        .iter_rows()
    )


def _respace(text, rng: random.Random) -> str:
    if not isinstance(text, str) or not text.strip():
        return text
    words = text.split()
    spaced = "".join(w + (" " * rng.choice([1, 1, 2, 3])) for w in words).rstrip()
    spaced = " " * rng.choice([0, 1, 2]) + spaced + " " * rng.choice([0, 1])
    return spaced.upper() if rng.random() < 0.2 else spaced


ANNEX_TABLES = build.annex_tables(21, 5.0, ["1", "2", "3", "4", "7"])
_BASE_ANNEX: dict = {}


def _annex(tmp_path, order: list[str], gaps: list[int], seed: int, name: str):
    rng = random.Random(seed)
    rows = [
        ["PROVINCIA DI PADOVA"],
        ["RENDICONTO DELLA GESTIONE 2023"],
        ["SPESE PER MISSIONI, PROGRAMMI E MACROAGGREGATI - IMPEGNI"],
        ["(importi in euro)"],
        [],
    ]
    for index, title in enumerate(order):
        table = build.annex_table_rows(title, ANNEX_TABLES[title], random.Random(int(title)))
        table[1] = [_respace(c, rng) for c in table[1]]  # damaged header spacing and case
        rows += table + [NOTES[(seed + k) % len(NOTES)] for k in range(gaps[index % len(gaps)])]
    path = tmp_path / name
    build.write_annex_rows(path, {"Impegni": rows})
    return path


@hsettings(max_examples=12, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    order=st.permutations(["1", "2", "3", "4", "7"]),
    gaps=st.lists(st.integers(0, 3), min_size=1, max_size=5),
    seed=st.integers(0, 10_000),
)
def test_annex_tables_in_any_order_with_notes_and_damaged_spacing_load_the_same(tmp_path, settings, order, gaps, seed):
    if "base" not in _BASE_ANNEX:
        base = _annex(tmp_path, ["1", "2", "3", "4", "7"], [2], 0, "base.xlsx")
        _BASE_ANNEX["base"] = _loaded(validate_file(base, settings, body="028", year=2023, phase="rendiconto"))
    path = _annex(tmp_path, list(order), gaps, seed, f"v{seed}.xlsx")
    assert _loaded(validate_file(path, settings, body="028", year=2023, phase="rendiconto")) == _BASE_ANNEX["base"]


MATRIX = build.Matrix(22, ["Impegnato", "FPV", "Pagato"], scale=10.0)
MISSIONS = list(build.MISSIONS)
_BASE_OPEN: dict = {}


def _open_format(tmp_path, seed: int, blocks: list[int], blanks: list[int], name: str):
    rng = random.Random(seed)
    rows = build.open_format_rows(MATRIX, MISSIONS, {}, one_row=True)
    header, opening, body = rows[0], rows[1], rows[2:]
    # title blocks (detail rows + their TOTALE TITOLO row), then the grand totals and trailing rows
    titles, current = [], []
    for row in body:
        current.append(row)
        if str(row[0]).startswith("TOTALE TITOLO "):
            titles.append(current)
            current = []
    titles = [titles[i] for i in blocks]
    width = len(header)
    out = [[_respace(c, rng) for c in header], opening]
    for index, block in enumerate(titles):
        out += block
        out += [[""] * width for _ in range(blanks[index % len(blanks)])]
        if blanks[index % len(blanks)] > 1:
            out.append(["Note: valori in euro"] + [""] * (width - 1))
    out += current
    path = tmp_path / name
    build.write_csv(path, out)
    return path


@hsettings(max_examples=12, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    blocks=st.permutations(range(6)),
    blanks=st.lists(st.integers(0, 2), min_size=1, max_size=6),
    seed=st.integers(0, 10_000),
)
def test_open_format_title_blocks_in_any_order_with_blank_rows_and_damaged_spacing_load_the_same(
    tmp_path, settings, blocks, blanks, seed
):
    if "base" not in _BASE_OPEN:
        base = _open_format(tmp_path, 0, list(range(6)), [0], "base.csv")
        _BASE_OPEN["base"] = _loaded(validate_file(base, settings, body="201", year=2023, phase="rendiconto"))
    path = _open_format(tmp_path, seed, list(blocks), blanks, f"v{seed}.csv")
    assert _loaded(validate_file(path, settings, body="201", year=2023, phase="rendiconto")) == _BASE_OPEN["base"]
