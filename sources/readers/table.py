"""The ``table`` engine: a header row naming each field, one budget line per row below it.

Serves the product's template (one amount per row, its kind in a column) and tidy open-data
files such as BDAP's (several amount columns, one per kind; many bodies in one file).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import polars as pl

from sources.findings import Finding, column_letter
from sources.grid import Grid
from sources.layouts import Profile, header_row_with, other_columns
from sources.readers.base import (
    LINE_COLUMNS,
    Extracted,
    FileMeta,
    cell_expr,
    finish_lines,
)
from sources.reference import bodies
from sources.steps import Request, Steps
from sources.vocab import amount_kind_of
from transforms.amounts import amount_columns, odd_amounts
from transforms.codes import (
    code_text,
    fold,
    macro_code,
    mission_code,
    programme_code,
    tipologia_code,
    title_code,
)


def read_table(profile: Profile, grid: Grid, file_name: str, given_year: int | None = None) -> Steps:
    """Steps (``sources.steps``) to the file's :class:`Extracted`: find the header and the columns here, then ask
    for the rows to be parsed (:class:`ParseRows`, batched with the other files of the same layout)."""
    spec = profile.spec
    cells = grid.head_cells()
    header = header_row_with(cells, profile.detect["header_cells"])
    meta = _label_metadata(grid, cells[: header or 0], spec.get("metadata_labels", {}))
    findings: list[Finding] = []

    header_cells = cells[header]
    position: dict[str, int] = {}
    for field_name, texts in spec.get("columns", {}).items():
        for index, cell in enumerate(header_cells):
            if cell in texts:
                position[field_name] = index
                break
    for missing in [f for f in spec.get("required", []) if f not in position]:
        findings.append(
            Finding(
                "COLUMN_MISSING",
                file=file_name,
                sheet=grid.sheet,
                row=grid.excel_row(header),
                params={"column": missing},
            )
        )
    if findings:
        return Extracted(
            profile,
            finish_lines(pl.DataFrame({"amount_text": []}, schema={"amount_text": pl.String}), "it"),
            meta,
            findings,
        )

    named = (
        grid.frame.lazy()
        .slice(header + 1)
        .with_row_index("_row", offset=header + 1)
        .select(
            pl.col("_row"),
            *[pl.col(f"c{index}").alias(field_name) for field_name, index in position.items()],
            *[
                pl.col(f"c{index}").alias(f"_amount_{kind}")
                for kind, index in _amount_columns(spec, header_cells).items()
            ],
        )
        .filter(pl.any_horizontal(pl.exclude("_row").is_not_null()))
    )
    if "amount_columns" in spec:
        findings += _other_columns(
            profile, grid, header, set(position.values()) | set(_amount_columns(spec, header_cells).values()), file_name
        )
        lines, meta = _wide_amounts(spec, grid, named.collect(), header_cells, meta, file_name, findings)
        lines, kind_column = lines.lazy(), None
    else:
        lines = named.with_columns(
            amount_text=pl.col("amount"), cell=cell_expr(grid, position["amount"], pl.col("_row"))
        )
        kind_column = "amount_kind"
    year = given_year or (int(meta.year) if meta.year and str(meta.year).isdigit() else None)
    located = lines.with_columns(
        sheet=pl.lit(grid.sheet, pl.String), source_row=(pl.col("_row") + grid.first_row + 1).cast(pl.Int32)
    )
    dims = tuple(d for d in PARSERS if d in located.collect_schema().names())
    parsed = yield ParseRows(located, year, (profile.name, profile.number_format, kind_column, dims))
    letters = {dim: column_letter(grid.first_col + position[dim]) for dim in CODE_DIMENSIONS if dim in position}
    return Extracted(profile, parsed, meta, findings, letters=letters)


@dataclass
class ParseRows(Request):
    """Located rows of one file (text as written) to parse into LINE_COLUMNS: codes, amount kinds, amounts.

    Files of one layout are parsed in one polars query (``run_many``): the distinct spellings of
    codes and the amounts written as text are gathered once for all of them.
    """

    rows: pl.LazyFrame
    year: int | None
    batch_key: tuple  # (layout, number format, kind column, code dimensions present)

    @classmethod
    def run_many(cls, requests: list[ParseRows]) -> list[pl.DataFrame]:
        _, number_format, kind_column, dims = requests[0].batch_key
        lines = pl.concat(
            [
                r.rows.with_columns(_part=pl.lit(i, pl.Int32), _year=pl.lit(r.year, pl.Int32))
                for i, r in enumerate(requests)
            ],
            how="diagonal_relaxed",
        ).collect()
        distinct = lines.select(
            *[pl.col(d).str.strip_chars().unique().drop_nulls().implode() for d in dims],
            odd_amounts("amount_text").alias("_odd"),
        ).row(0, named=True)  # one pass: the few distinct codes, and amounts written as text
        present = set(lines.columns) | {"amount_cents", "amount_rounded", *dims, *(f"{d}_raw" for d in dims)}
        if kind_column:
            present |= {"amount_kind", "amount_kind_raw"}
        parsed = (
            lines.lazy()
            .with_columns(
                *_code_columns(list(dims), distinct),
                *(_kind_columns(lines, kind_column) if kind_column else []),
                *amount_columns("amount_text", distinct["_odd"], number_format),
            )
            .with_columns(*_relative_codes(dims))
            .select(
                pl.col("_part"),
                *[
                    (pl.col(name) if name in present else pl.lit(None)).cast(dtype).alias(name)
                    for name, dtype in LINE_COLUMNS.items()
                ],
            )
            .collect()
        )
        parts = parsed.partition_by("_part", as_dict=True, include_key=False, maintain_order=True)
        empty = parsed.clear().drop("_part")
        return [parts.get((i,), empty) for i in range(len(requests))]


CODE_DIMENSIONS = ("missione", "programma", "titolo", "macroaggregato", "tipologia", "amount_kind")
PARSERS = {
    "missione": mission_code,
    "programma": lambda raw: programme_code(fold(raw)),
    "titolo": title_code,
    "macroaggregato": macro_code,
    # the full code; a tipologia's number alone (``101``) is completed with its title below
    "tipologia": tipologia_code,
}


def _relative_codes(dims: tuple[str, ...]) -> list[pl.Expr]:
    """Codes that need their parent's: a revenue tipologia written as its number (``101``) within its title."""
    if "tipologia" in dims and "titolo" in dims:
        return [
            pl.coalesce(pl.col("tipologia"), tipologia_code(pl.col("tipologia_raw"), pl.col("titolo"))).alias(
                "tipologia"
            )
        ]
    return []


_CODE_CACHE: dict[str, dict[str, str | None]] = {dim: {} for dim in PARSERS}


def _codes_of(dim: str, texts: list[str]) -> dict[str, str | None]:
    """Canonical code of each text, parsed once per process (spellings recur across files)."""
    cache = _CODE_CACHE[dim]
    new = [t for t in texts if t not in cache]
    if new:
        if len(cache) > 100_000:
            cache.clear()
        parsed = pl.DataFrame({"raw": new}, schema={"raw": pl.String}).with_columns(code=PARSERS[dim](pl.col("raw")))
        cache.update(zip(parsed["raw"], parsed["code"]))
    return {t: cache[t] for t in texts}


CACHED_SPELLINGS = 20_000  # more distinct spellings than this in one batch (a hostile file) are parsed in polars only


def _code_columns(dims: list[str], distinct: dict) -> list[pl.Expr]:
    """Canonical codes next to the raw text the officer wrote (one hash lookup per column)."""
    exprs = []
    for dim in dims:
        raw = pl.col(dim).str.strip_chars()
        if len(distinct[dim]) > CACHED_SPELLINGS:
            parsed = pl.DataFrame({"raw": distinct[dim]}, schema={"raw": pl.String}).with_columns(
                code=PARSERS[dim](pl.col("raw"))
            )
            coded = raw.replace_strict(parsed["raw"], parsed["code"], default=None, return_dtype=pl.String)
        else:
            coded = raw.replace_strict(_codes_of(dim, distinct[dim]), default=None, return_dtype=pl.String)
        exprs += [raw.alias(f"{dim}_raw"), coded.alias(dim)]
    return exprs


MAX_KIND_LABELS = (
    1000  # a column of amount kinds holds a handful of labels; past this many, the rarest are unknown unread
)


def _kind_columns(lines: pl.DataFrame, column: str) -> list[pl.Expr]:
    """The kind's code from its label; a label may mean a different kind before a given year (``vocab``). Each label is
    looked up once, in Python: a column of 500,000 different texts (a hostile file) is looked up for its most frequent
    ``MAX_KIND_LABELS`` only, and the rest are unknown kinds."""
    raw = pl.col(column).str.strip_chars()
    pairs = (
        lines.select(raw.alias("text"), "_year")
        .drop_nulls("text")
        .group_by("text", "_year")
        .len()
        .sort(["len", "text"], descending=[True, False], nulls_last=True)
        .head(MAX_KIND_LABELS)
    )
    mapping = {f"{text}\x1f{year}": amount_kind_of(text, year) for text, year, _ in pairs.iter_rows()}
    keyed = pl.concat_str(raw, pl.lit("\x1f"), pl.col("_year").cast(pl.String).fill_null("None"))
    return [
        raw.alias("amount_kind_raw"),
        keyed.replace_strict(mapping, default=None, return_dtype=pl.String).alias("amount_kind"),
    ]


def _amount_columns(spec: dict, header_cells: list[str]) -> dict[str, int]:
    found = {}
    for kind, texts in spec.get("amount_columns", {}).items():
        for index, cell in enumerate(header_cells):
            if cell in texts:
                found[kind] = index
                break
    return found


def _wide_amounts(spec, grid, named, header_cells, meta, file_name, findings):
    """Tidy files with one column per amount kind, and a body on every row (BDAP)."""
    for phase, texts in spec.get("phase_from_columns", {}).items():
        if any(t in header_cells for t in texts):
            meta.phase = phase
    selected = named.filter(fold(pl.col("body_type")).str.contains(spec["body_filter"]))
    if selected.is_empty():
        findings.append(_no_body(named, grid, header_cells, spec, file_name))
    lookup = bodies().select(pl.col("historical_province_code").alias("_province"), pl.col("istat_code").alias("body"))
    selected = selected.with_columns(_province=code_text(pl.col("province_code")).str.zfill(3)).join(
        lookup, on="_province", how="left"
    )
    unknown = selected.filter(pl.col("body").is_null())
    for row in unknown.select("_row", "body_name").unique("body_name").iter_rows():
        findings.append(
            Finding(
                "BODY_UNKNOWN", file=file_name, sheet=grid.sheet, row=grid.excel_row(row[0]), params={"value": row[1]}
            )
        )
    amount_cols = [c for c in selected.columns if c.startswith("_amount_")]
    positions = _amount_columns(spec, header_cells)
    long = selected.unpivot(
        index=[c for c in selected.columns if c not in amount_cols],
        on=amount_cols,
        variable_name="_kind",
        value_name="amount_text",
    ).with_columns(
        amount_kind=pl.col("_kind").str.strip_prefix("_amount_"),
        amount_kind_raw=pl.col("_kind").str.strip_prefix("_amount_"),
    )
    long = long.with_columns(
        year=pl.col("year").cast(pl.String).str.extract(r"(\d{4})", 1).cast(pl.Int32),
        phase=pl.lit(meta.phase, pl.String),
        cell=pl.concat_str(
            pl.col("amount_kind").replace_strict(
                {k: re.sub(r"\d+$", "", grid.cell(0, i)) for k, i in positions.items()},
                default=None,
                return_dtype=pl.String,
            ),
            (pl.col("_row") + grid.first_row + 1).cast(pl.String),
        ),
    ).filter(
        pl.col("body").is_not_null(), pl.col("amount_text").is_not_null()
    )  # a blank cell of a wide file states nothing
    return long, meta


SHOWN_BODIES = 5  # bodies named by BDAP_NO_BODY; the others are counted


def _no_body(named: pl.DataFrame, grid: Grid, header_cells: list[str], spec: dict, file_name: str) -> Finding:
    """No province or metropolitan city in a BDAP file: which bodies it does hold (name and type), at the first one's
    row."""
    names = "body_name" if "body_name" in named.columns else "body_type"
    found = (
        named.filter(pl.col(names).is_not_null()).group_by(names, "body_type").agg(pl.col("_row").min()).sort("_row")
    )
    shown = [f"{name} ({kind})" for name, kind, _ in found.head(SHOWN_BODIES).iter_rows()]
    more = f" … (+{found.height - SHOWN_BODIES})" if found.height > SHOWN_BODIES else ""
    column = next(i for i, cell in enumerate(header_cells) if cell in spec["columns"]["body_type"])
    first = found["_row"][0] if found.height else None
    return Finding(
        "BDAP_NO_BODY",
        file=file_name,
        sheet=grid.sheet,
        cell=grid.cell(first, column) if first is not None else None,
        row=grid.excel_row(first) if first is not None else None,
        params={"detail": "", "found": ", ".join(shown) + more if shown else "—"},
    )


def _other_columns(profile: Profile, grid: Grid, header: int, used: set[int], file_name: str) -> list[Finding]:
    """Columns of a wide file that are not loaded: recognised ones (info, with the reason), and unknown ones that hold
    values (warning); unknown empty ones (a trailing ``Unnamed: 30`` a re-save adds) say nothing."""
    raw = [str(v).strip() if v is not None else "" for v in grid.frame.row(header)]
    others = other_columns(profile.spec, grid.head_cells()[header], used)
    findings = [
        Finding(
            "COLUMN_NOT_KEPT",
            file=file_name,
            sheet=grid.sheet,
            cell=grid.cell(header, i),
            row=grid.excel_row(header),
            params={"label": raw[i], "reason": reason},
        )
        for i, reason in others.not_kept.items()
    ]
    if others.unknown:
        below = grid.frame.slice(header + 1).select(pl.col(f"c{i}").is_not_null().any() for i in others.unknown).row(0)
        findings += [
            Finding(
                "COLUMN_NOT_READ",
                file=file_name,
                sheet=grid.sheet,
                cell=grid.cell(header, i),
                row=grid.excel_row(header),
                params={"label": raw[i] or column_letter(grid.first_col + i), "layout": profile.name},
            )
            for i, filled in zip(others.unknown, below)
            if filled
        ]
    return findings


def _label_metadata(grid: Grid, cells: list[list[str]], labels: dict) -> FileMeta:
    """``Ente | 237 - Città metropolitana di Bologna`` pairs in the rows above the header."""
    meta = FileMeta()
    for field_name, texts in labels.items():
        for row_index, row in enumerate(cells):
            for col_index, cell in enumerate(row):
                if cell in texts:
                    values = [
                        (c, v) for c, v in enumerate(grid.frame.row(row_index)) if c > col_index and v not in (None, "")
                    ]
                    if values:
                        col, value = values[0]
                        setattr(meta, field_name, str(value).strip())
                        meta.where[field_name] = (grid.sheet, grid.cell(row_index, col))
                    break
    return meta
