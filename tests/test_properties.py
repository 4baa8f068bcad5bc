"""Invariants checked on generated inputs (hypothesis)."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

import polars as pl
from hypothesis import given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from sources.reference import code_sets, programmes
from sources.samples.budget import generate_budget
from sources.samples.layouts import it_number
from transforms.amounts import format_euro, parse_amounts
from transforms.codes import macro_code, programme_code

cents = st.integers(min_value=-(10**14), max_value=10**14)


def _parse(texts: list[str], number_format: str = "it") -> list[int | None]:
    return parse_amounts(pl.DataFrame({"a": texts}, schema={"a": pl.String}), "a", number_format)[
        "amount_cents"
    ].to_list()


@given(st.lists(cents, min_size=1, max_size=50))
def test_italian_text_round_trips_exactly(values):
    assert _parse([it_number(v) for v in values]) == values


@given(st.lists(cents, min_size=1, max_size=50))
def test_numeric_cell_text_round_trips_exactly(values):
    texts = [repr(v / 100) if v % 100 else str(v // 100) for v in values]
    assert _parse(texts) == values


@given(st.lists(cents, min_size=1, max_size=50))
def test_us_format_round_trips_exactly(values):
    texts = [f"{'-' if v < 0 else ''}{abs(v) // 100}.{abs(v) % 100:02d}" for v in values]
    assert _parse(texts, "us") == values


@given(st.decimals(min_value=-(10**9), max_value=10**9, places=4, allow_nan=False))
def test_rounding_is_half_away_from_zero(value):
    text = format(value, "f").replace(".", ",")
    expected = int((abs(value) * 100).quantize(Decimal(1), rounding=ROUND_HALF_UP)) * (-1 if value < 0 else 1)
    assert _parse([text]) == [expected]


@given(st.text(max_size=20))
def test_amount_parser_never_raises(text):
    result = _parse([text])
    assert result == [None] or isinstance(result[0], int)


@given(
    st.sampled_from(programmes()["code"].to_list()),
    st.sampled_from(["{m}.{p}", "{m}{p}", "{mi}.{pi}", "{m} {p} - nome", "{m}/{p}"]),
)
def test_every_programme_spelling_parses_to_its_code(code, shape):
    m, p = code.split(".")
    text = shape.format(m=m, p=p, mi=int(m), pi=int(p))
    assert pl.select(programme_code(pl.lit(text))).item() == code


@given(
    st.sampled_from(sorted(code_sets()["macroaggregato"])),
    st.sampled_from(["{t}.{m}", "{t}{m}", "{t}{m}0000", "U.{t}.{m}.01.01.001"]),
)
def test_every_macroaggregate_spelling_parses_to_its_code(code, shape):
    t, mm = code.split(".")
    assert pl.select(macro_code(pl.lit(shape.format(t=t, m=mm)))).item() == code


@hsettings(max_examples=15, deadline=None)
@given(
    st.sampled_from(["002", "237", "258", "103"]),
    st.integers(2016, 2028),
    st.sampled_from(["previsione", "rendiconto"]),
    st.integers(0, 5),
)
def test_generated_budgets_are_valid_and_deterministic(body, year, phase, seed):
    lines = generate_budget(body, year, phase, seed)
    assert lines.equals(generate_budget(body, year, phase, seed))
    assert lines["amount_cents"].min() >= 0
    assert (lines["programma"].str.slice(0, 2) == lines["missione"]).all()
    assert (lines["macroaggregato"].str.slice(0, 1) == lines["titolo"]).all()
    assert set(lines["programma"]) <= code_sets()["programma"]
    assert 900 <= lines.height <= 25_000


@given(
    st.one_of(
        st.integers(min_value=-(10**14), max_value=10**14),  # up to a thousand billion euro: babel's floats exact
        st.integers(min_value=-(10**12), max_value=10**12).map(float),
        st.floats(min_value=-(10**12), max_value=10**12, allow_nan=False),
    ),
    st.sampled_from(["it", "en"]),
)
def test_euro_amounts_are_written_as_babel_writes_them(cents, lang):
    """The direct path for whole cents (issue 30) writes exactly what babel writes, sign, separators and spaces."""
    from babel.numbers import format_currency

    expected = format_currency(cents / 100, "EUR", locale="it_IT" if lang == "it" else "en_GB")
    assert format_euro(cents, lang) == expected
