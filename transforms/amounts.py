"""Amounts as exact integer cents, parsed from whatever text a spreadsheet holds.

Two number formats (a layout profile says which):

* ``it``: ``1.234.567,89`` / ``1234567,89`` / ``-1.234,5`` / ``(1.234,00)`` as text; numeric cells read
  by calamine arrive as their shortest decimal form (``1234567.89``). A string with a comma is
  Italian; without one, dots in groups of three (``1.234.567``) are thousands, otherwise the dot
  is the decimal point of a numeric cell.
* ``us``: ``1234567.89`` / ``1,234,567.89`` (BDAP open data).

No binary float is involved: the integer and fractional digits are cut apart as text, so
``0,10 + 0,20`` is exactly 30 cents. Rounding past the cent is half away from zero.
"""

from __future__ import annotations

import polars as pl

_THOUSANDS_DOTS = r"^\d{1,3}(\.\d{3})+$"
_PLAIN = r"^\d+(\.\d+)?$"
_PLAIN_SIGNED = r"^-?\d+(\.\d{1,2}|\.\d{4,})?$"  # not exactly three decimals: "1.234" is Italian thousands


def _clean(expr: pl.Expr) -> pl.Expr:
    return expr.cast(pl.String).str.replace_all(r"[\s\u00a0€]|eur(o)?", "").str.replace(r"^\+", "")


def canonical_decimal_text(expr: pl.Expr, number_format: str) -> pl.Expr:
    """Text like ``1234567.89`` (dot decimal, no thousands) or null when not a number."""
    text = _clean(expr)
    negative = text.str.starts_with("-") | (text.str.starts_with("(") & text.str.ends_with(")"))
    body = text.str.strip_chars("-()")
    if number_format == "us":
        body = body.str.replace_all(",", "")
    else:
        has_comma = body.str.contains(",")
        body = (
            pl.when(has_comma)
            .then(body.str.replace_all(r"\.", "").str.replace(",", "."))
            .when(body.str.contains(_THOUSANDS_DOTS))
            .then(body.str.replace_all(r"\.", ""))
            .otherwise(body)
        )
    valid = body.str.contains(_PLAIN)
    return pl.when(valid).then(pl.when(negative).then(pl.lit("-") + body).otherwise(body)).otherwise(None)


def to_cents(decimal_text: pl.Expr) -> pl.Expr:
    """``-1234.567`` → ``-123457`` (Int64 cents), exact, half away from zero."""
    negative = decimal_text.str.starts_with("-")
    digits = decimal_text.str.strip_chars("-")
    parts = digits.str.split_exact(".", 1)
    whole = parts.struct.field("field_0").cast(pl.Int64)
    fraction = parts.struct.field("field_1").fill_null("")
    cents = fraction.str.slice(0, 2).str.pad_end(2, "0").cast(pl.Int64)
    round_up = (fraction.str.slice(2, 1).fill_null("0").str.pad_end(1, "0") >= "5").cast(pl.Int64)
    magnitude = whole * 100 + cents + round_up
    return pl.when(negative).then(-magnitude).otherwise(magnitude)


def too_precise(decimal_text: pl.Expr) -> pl.Expr:
    """True when the value really has sub-cent digits (it had to be rounded).

    Binary noise of numeric cells (``19933191.140000001``, ``….149999999``) is not precision:
    only the third to fifth decimals are looked at, and ``000`` / ``999`` there count as none.
    """
    digits = decimal_text.str.extract(r"\.\d{2}(\d{1,3})", 1).str.pad_end(3, "0")
    return digits.is_not_null() & ~digits.is_in(["000", "999"])


def parse_amounts(frame: pl.DataFrame, column: str, number_format: str) -> pl.DataFrame:
    """Add ``amount_cents`` (null where the text is not a number) and ``amount_rounded`` flags.

    Numeric cells (already ``-1234.5``) skip the format rules; the rest are converted once per
    distinct text.
    """
    text = pl.col(column)
    odd = frame.filter(~text.str.contains(_PLAIN_SIGNED).fill_null(True)).get_column(column).unique()
    if odd.len():
        table = pl.DataFrame({"old": odd}).with_columns(new=canonical_decimal_text(pl.col("old"), number_format))
        decimal = text.replace_strict(table["old"], table["new"], default=text, return_dtype=pl.String)
    else:
        decimal = text
    return frame.with_columns(_decimal=decimal).with_columns(
        amount_cents=to_cents(pl.col("_decimal")),
        amount_rounded=too_precise(pl.col("_decimal")),
    ).drop("_decimal")


def format_euro(cents: int | None, lang: str = "it") -> str:
    """``123456789`` → ``€ 1.234.567,89`` (Italian) or ``€1,234,567.89`` (English), via babel."""
    if cents is None:
        return ""
    from babel.numbers import format_currency

    locale = "it_IT" if lang == "it" else "en_GB"
    return format_currency(cents / 100, "EUR", locale=locale)
