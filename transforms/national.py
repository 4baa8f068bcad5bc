"""National open-data rows (BDAP, programme level) to budget lines: bodies, codes, amounts, checks (pure polars).

Input: the rows a streaming scan kept (``sources.national``), raw text, one column per field of the
layout profile and one ``_amount_<kind>`` column per amount kind, with ``_line`` (line of the file).
Output: budget lines shaped like ``core.budget_lines`` (body, year, phase, missione, programma,
titolo, macroaggregato, amount_kind, amount_cents) and the problems found, each with its line, so
nothing is loaded from a file with an error.
"""

from __future__ import annotations

import polars as pl

from transforms.amounts import parse_amounts
from transforms.codes import (
    code_text,
    macro_code,
    mission_code,
    programme_code,
    title_code,
)

LINE = "_line"
KEY = ["body", "year", "missione", "programma", "titolo", "macroaggregato", "amount_kind"]
# ``related``: the mission a programme does not belong to, the title a macroaggregate does not belong to
PROBLEM_SCHEMA = {
    LINE: pl.Int64,
    "field": pl.String,
    "code": pl.String,
    "value": pl.String,
    "related": pl.String,
    "other_line": pl.Int64,
}


def national_lines(
    rows: pl.DataFrame, bodies: pl.DataFrame, phase: str, codes: dict[str, list[str]]
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Budget lines of the bodies in ``bodies`` (body, province_code) and the problems (line, field, code, value).

    ``codes``: the valid ``programma``, ``titolo`` and ``macroaggregato`` codes. Rows of a province code that is not one
    of ``bodies`` are left out with one ``NATIONAL_BODY_UNKNOWN`` problem per code (a warning: e.g. a ceased body).
    """
    coded = rows.with_columns(
        code_text(pl.col("province_code")).str.zfill(3).alias("province_code"),
        year=pl.col("year").str.strip_chars().cast(pl.Int32, strict=False),
        missione=mission_code(pl.col("missione").str.strip_chars()),
        programma=programme_code(
            pl.col("programma").str.strip_chars(), mission_code(pl.col("missione").str.strip_chars())
        ),
        titolo=title_code(pl.col("titolo").str.strip_chars()),
        macroaggregato=macro_code(pl.col("macroaggregato").str.strip_chars())
        if "macroaggregato" in rows.columns
        else pl.lit(None, pl.String),
        _raw=pl.struct(
            "missione", "programma", "titolo", *(["macroaggregato"] if "macroaggregato" in rows.columns else [])
        ),
    )
    known = coded.join(bodies.select("body", "province_code"), on="province_code", how="left")
    problems = [_first_of(known.filter(pl.col("body").is_null()), "province_code", "NATIONAL_BODY_UNKNOWN")]
    known = known.filter(pl.col("body").is_not_null())
    problems += [
        _rows(known.filter(pl.col("year").is_null()), "year", "NATIONAL_YEAR_NOT_NUMBER", pl.lit(None, pl.String)),
        _rows(
            known.filter(~pl.col("programma").is_in(codes["programma"]).fill_null(False)),
            "programma",
            "PROGRAMME_UNKNOWN",
            pl.col("_raw").struct.field("programma"),
        ),
        _rows(
            known.filter(
                pl.col("programma").is_in(codes["programma"])
                & (pl.col("programma").str.slice(0, 2) != pl.col("missione"))
            ),
            "programma",
            "PROGRAMME_NOT_IN_MISSION",
            pl.col("programma"),
            related=pl.col("missione"),
        ),
        _rows(
            known.filter(~pl.col("titolo").is_in(codes["titolo"]).fill_null(False)),
            "titolo",
            "TITLE_UNKNOWN",
            pl.col("_raw").struct.field("titolo"),
        ),
        _rows(
            known.filter(
                pl.col("macroaggregato").is_not_null() & ~pl.col("macroaggregato").is_in(codes["macroaggregato"])
            ),
            "macroaggregato",
            "MACRO_UNKNOWN",
            pl.col("_raw").struct.field("macroaggregato"),
        ),
        _rows(
            known.filter(
                pl.col("macroaggregato").is_in(codes["macroaggregato"])
                & (pl.col("macroaggregato").str.slice(0, 1) != pl.col("titolo"))
            ),
            "macroaggregato",
            "MACRO_NOT_IN_TITLE",
            pl.col("macroaggregato"),
            related=pl.col("titolo"),
        ),
    ]
    amount_columns = [c for c in rows.columns if c.startswith("_amount_")]
    stated = known.with_columns(
        pl.col(c).str.strip_chars().replace("", None) for c in amount_columns
    )  # a blank states nothing
    stated = stated.filter(pl.any_horizontal(pl.col(c).is_not_null() for c in amount_columns))
    # BDAP gives one row per key: a key repeated on a row that states anything is a duplicate. Checked on the rows, not
    # on the lines (one per amount kind: thirteen times as many for a final-accounts extract).
    duplicated = stated.with_columns(other_line=pl.col(LINE).min().over(KEY[:-1])).filter(
        pl.col(LINE) != pl.col("other_line")
    )
    problems.append(
        duplicated.select(
            LINE,
            field=pl.lit("programma"),
            code=pl.lit("DUPLICATE_KEY"),
            value=pl.concat_str(KEY[:-1], separator=" ", ignore_nulls=True),
            related=pl.lit(None, pl.String),
            other_line="other_line",
        )
    )
    long = (
        stated.unpivot(
            index=[LINE, "body", "year", "missione", "programma", "titolo", "macroaggregato"],
            on=amount_columns,
            variable_name="amount_kind",
            value_name="amount_text",
        )
        .drop_nulls("amount_text")
        .with_columns(amount_kind=pl.col("amount_kind").str.strip_prefix("_amount_"))
    )
    long = parse_amounts(long, "amount_text", "us")
    problems.append(
        _rows(
            long.filter(pl.col("amount_cents").is_null()),
            "amount_kind",
            "AMOUNT_NOT_NUMBER_US",
            pl.col("amount_text"),
            field_from="amount_kind",
        )
    )
    lines = long.select(
        "body",
        "year",
        pl.lit(phase).alias("phase"),
        "missione",
        "programma",
        "titolo",
        "macroaggregato",
        "amount_kind",
        "amount_cents",
        pl.col(LINE).alias("source_line"),
    )
    found = pl.concat([p.select(list(PROBLEM_SCHEMA)).cast(PROBLEM_SCHEMA) for p in problems]).sort(LINE)
    return lines, found


def _rows(
    frame: pl.DataFrame,
    field: str,
    code: str,
    value: pl.Expr,
    field_from: str | None = None,
    related: pl.Expr | None = None,
) -> pl.DataFrame:
    return frame.select(
        LINE,
        field=pl.col(field_from) if field_from else pl.lit(field),
        code=pl.lit(code),
        value=value.cast(pl.String),
        related=(pl.lit(None) if related is None else related).cast(pl.String),
        other_line=pl.lit(None, pl.Int64),
    )


def _first_of(frame: pl.DataFrame, field: str, code: str) -> pl.DataFrame:
    """One problem per distinct value (its first line) rather than one per row."""
    return (
        frame.group_by(field)
        .agg(pl.col(LINE).min())
        .select(
            LINE,
            field=pl.lit(field),
            code=pl.lit(code),
            value=pl.col(field),
            related=pl.lit(None, pl.String),
            other_line=pl.lit(None, pl.Int64),
        )
    )
