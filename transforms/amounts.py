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
_PLAIN_CENTS = r"^-?\d{1,13}(\.\d{1,2})?$"  # a numeric cell of euro and cents, small enough for an exact float


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


def odd_amounts(column: str) -> pl.Expr:
    """Distinct texts that are not plain numbers with at most two decimals (they need the exact rules)."""
    text = pl.col(column)
    return text.filter(~text.str.contains(_PLAIN_CENTS).fill_null(True)).unique().implode()


def amount_columns(column: str, odd: list[str], number_format: str) -> list[pl.Expr]:
    """``amount_cents`` and ``amount_rounded`` from the text column; ``odd`` from :func:`odd_amounts`.

    Plain texts with at most two decimals go through a binary float, which is exact here:
    below 2^51 cents (22 trillion euro) ``round(float(text) * 100)`` is the true number of cents.
    Every other text (Italian format, sub-cent digits) is parsed exactly, once per distinct text.
    """
    text = pl.col(column)
    plain = text.str.contains(_PLAIN_CENTS)
    fast = (text.cast(pl.Float64, strict=False) * 100).round().cast(pl.Int64)
    if not odd:
        return [pl.when(plain).then(fast).alias("amount_cents"), pl.lit(False).alias("amount_rounded")]
    table = (
        pl.DataFrame({"old": odd}, schema={"old": pl.String})
        .with_columns(_decimal=canonical_decimal_text(pl.col("old"), number_format))
        .with_columns(cents=to_cents(pl.col("_decimal")), rounded=too_precise(pl.col("_decimal")))
    )
    slow_cents = text.replace_strict(table["old"], table["cents"], default=None, return_dtype=pl.Int64)
    slow_rounded = text.replace_strict(table["old"], table["rounded"], default=False, return_dtype=pl.Boolean)
    return [
        pl.when(plain).then(fast).otherwise(slow_cents).alias("amount_cents"),
        pl.when(plain).then(False).otherwise(slow_rounded).alias("amount_rounded"),
    ]


def parse_amounts(frame: pl.DataFrame, column: str, number_format: str) -> pl.DataFrame:
    """Add ``amount_cents`` (null where the text is not a number) and ``amount_rounded`` flags.

    Numeric cells (already ``-1234.5``) skip the format rules; the rest are converted once per
    distinct text.
    """
    odd = frame.select(odd_amounts(column)).item().to_list()
    return frame.with_columns(amount_columns(column, odd, number_format))


def format_euro(cents: int | float | None, lang: str = "it") -> str:
    """``123456789`` → ``1.234.567,89 €`` (Italian) or ``€1,234,567.89`` (English), as babel writes them.

    Whole cents are written directly, exactly as babel would (``tests/test_properties.py`` compares them): babel
    took 156 µs a figure, 1.9 s of a national backfill's plans (issue 30). Anything else (a fraction of a cent, -0.0)
    goes through babel, which rounds it."""
    if cents is None:
        return ""
    if type(cents) is int or (type(cents) is float and cents.is_integer() and cents != 0):
        whole, rest = divmod(abs(int(cents)), 100)
        sign = "-" if cents < 0 else ""
        if lang == "it":
            return f"{sign}{whole:,}".replace(",", ".") + f",{rest:02d}\u00a0€"
        return f"{sign}€{whole:,}.{rest:02d}"
    from babel.numbers import format_currency

    locale = "it_IT" if lang == "it" else "en_GB"
    return format_currency(cents / 100, "EUR", locale=locale)
