"""Figures as a planner writes them (``transforms/figures.py``): rounded amounts and ranges, Italian articles and
spacing."""

from __future__ import annotations

import re

from hypothesis import given
from hypothesis import strategies as st

from transforms.figures import (
    article_percent,
    euro_words,
    percent,
    percent_range,
    range_words,
    share_of_spending,
)


def test_examples_a_planner_would_write():
    assert range_words(109_222_919, 327_668_758) == "tra 1,1 e 3,3 milioni di euro"
    assert range_words(48_000_000, 120_000_000) == "tra 480 mila euro e 1,2 milioni di euro"
    assert range_words(100_000_000, 101_000_000) == "circa 1 milione di euro"
    assert range_words(109_222_919, 327_668_758, "en") == "between 1.1 and 3.3 million euro"
    assert (
        euro_words(50_000) == "meno di mille euro" and euro_words(0) == "0 euro" and euro_words(100_000) == "mille euro"
    )
    assert range_words(100_000, 400_000) == "tra 1 e 4 mila euro"
    assert [article_percent(x) for x in (0, 0.08, 0.11, 0.8, 0.45, 0.01, 0.085)] == [
        "lo 0 %",
        "l'8 %",
        "l'11 %",
        "l'80 %",
        "il 45 %",
        "l'1 %",
        "l'8,5 %",
    ]
    assert percent(0.4) == "40 %" and percent(0.4, "en") == "40%" and percent(None) == "n.d."
    assert percent_range(0.03, 0.08) == "tra il 3 e l'8 %" and percent_range(0.01, 0.03) == "tra l'1 e il 3 %"
    assert percent_range(0.03, 0.08, "en") == "3-8%"
    assert share_of_spending(0) == "nessuna spesa" and share_of_spending(0.0) == "nessuna spesa"
    assert share_of_spending(0.004) == "lo 0,4 % della spesa dell'ente"


@given(st.integers(min_value=100_000, max_value=10**13), st.integers(min_value=0, max_value=10**13))
def test_a_range_never_shows_cents_and_keeps_its_order(low, extra):
    text = range_words(low, low + extra)
    assert not re.search(r"\d[.,]\d{2,}", text), text  # at most one decimal, never thousands separators with cents
    numbers = [float(n.replace(",", ".")) for n in re.findall(r"\d+(?:,\d)?", text)]
    assert len(numbers) <= 2, text
    if re.match(r"tra [\d,]+ e [\d,]+ ", text):  # one unit for both ends
        assert numbers[0] <= numbers[1], text


@given(st.floats(min_value=0, max_value=1))
def test_every_share_has_the_right_article(share):
    text = article_percent(share)
    number = text.split(" ", 1)[-1] if text.startswith(("il ", "lo ")) else text[2:]
    integer = number.split(" ")[0].split(",")[0]
    expected = (
        "lo "
        if integer == "0"
        else "l'"
        if integer in ("1", "8", "11") or (integer.startswith("8") and len(integer) > 1)
        else "il "
    )
    assert text.startswith(expected) and text.endswith(" %"), text
