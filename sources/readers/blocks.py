"""The ``blocks`` engine: annexes and matrices with a title block, nested row blocks and subtotals.

A sheet holds one table or several one after another (an annex prints one per spending title);
each table starts at a header row (``sources.readers.headers``) and runs to the next. Rows:
labels in the columns left of the first amount column say which mission, programme, title,
macroaggregate or revenue tipologia a row opens or details (patterns from the profile); each
level is forward-filled inside its parent block. Subtotal rows and total columns are checked
against the detail they summarise (``sources.readers.reconcile``), then dropped.
Everything is vectorised over the sheet; Python loops only run over header cells and findings.
"""

from __future__ import annotations

import re

import polars as pl

from sources.findings import Finding, column_letter
from sources.grid import Grid
from sources.layouts import Profile
from sources.readers.base import Extracted, FileMeta, finish_lines
from sources.readers.headers import Column, Header, find_headers, place_columns
from sources.readers.reconcile import (
    check_placed_by_order,
    check_subtotals,
    check_total_columns,
    check_unplaced,
)
from sources.vocab import body_in_text
from transforms.amounts import parse_amounts
from transforms.codes import fold, fold_text

# How many parts each code has, how wide each part is zero-padded, and how parts are joined.
CODE_SHAPE = {"missione": (2,), "programma": (2, 2), "titolo": (1,), "macroaggregato": (1, 2), "tipologia": (1, 4)}
JOIN = {"tipologia": ""}
PARENT_PREFIX = {"programma": "missione", "macroaggregato": "titolo", "tipologia": "titolo"}
ROMAN = {"i": "1", "ii": "2", "iii": "3", "iv": "4", "v": "5", "vi": "6", "vii": "7", "viii": "8", "ix": "9", "x": "10"}
DIMENSIONS = ("missione", "amount_kind", "macroaggregato")
YEAR = re.compile(r"\b(20\d{2})\b")


def _empty(profile: Profile, meta: FileMeta, findings: list[Finding]) -> Extracted:
    return Extracted(profile, finish_lines(pl.DataFrame(schema={"amount_text": pl.String}), "it"), meta, findings)


def read_blocks(
    profile: Profile,
    grid: Grid,
    file_name: str,
    tolerance: int,
    given_year: int | None = None,
    mapping: dict | None = None,
) -> Extracted:
    spec = profile.spec
    dims = spec["header"]["dimensions"]
    findings: list[Finding] = []
    headers = find_headers(grid.frame, dims, spec["header"]["min_matches"], None, spec["header"]["total_pattern"])
    if not headers:
        findings.append(
            Finding("HEADER_NOT_FOUND", file=file_name, sheet=grid.sheet, params={"expected": ", ".join(dims)})
        )
        return _empty(profile, FileMeta(), findings)
    top = headers[0].row - (0 if headers[0].one_row else len(dims) - 1)
    meta, fixed = _title_metadata(spec, grid.head_cells()[: max(top, 0)], findings, file_name, grid)
    year = given_year or (int(meta.year) if meta.year else None)
    parts, unplaced = [], []
    for number, header in enumerate(headers):
        end = (
            headers[number + 1].row - (0 if headers[number + 1].one_row else len(dims) - 1)
            if number + 1 < len(headers)
            else grid.frame.height
        )
        part, part_unplaced = _read_table(
            spec, grid, header, end, year, mapping, file_name, tolerance, findings, profile.number_format
        )
        unplaced += part_unplaced
        if part is not None:
            parts.append(part)
    if not parts:
        if not any(f.is_error for f in findings):
            findings.append(
                Finding("HEADER_NOT_FOUND", file=file_name, sheet=grid.sheet, params={"expected": ", ".join(dims)})
            )
        return _empty(profile, meta, findings)
    lines = pl.concat(parts, how="diagonal_relaxed")
    lines = lines.filter(pl.col("amount_text").is_not_null(), pl.col("amount_cents").fill_null(1) != 0)
    lines = lines.with_columns([pl.lit(v, pl.String).alias(k) for k, v in fixed.items()])
    if "titolo" not in lines.columns or "macroaggregato" in lines.columns:
        lines = _derive_parents(lines)
    lines = lines.with_columns(
        sheet=pl.lit(grid.sheet, pl.String),
        cell=pl.concat_str(pl.col("_letter"), (pl.col("_row") + grid.first_row + 1).cast(pl.String)),
        source_row=(pl.col("_row") + grid.first_row + 1).cast(pl.Int32),
        description=pl.col("_label_raw"),
    )
    extracted = Extracted(profile, finish_lines(lines, profile.number_format), meta, findings)
    extracted.unplaced = unplaced
    return extracted


def _read_table(
    spec, grid: Grid, header: Header, end: int, year, mapping, file_name, tolerance, findings, number_format
):
    """One table: its columns, its rows classified, its checks; the detail cells (or None) and what it could not
    place."""
    columns = place_columns(spec, grid.frame, header, year, mapping)
    if not any(c.role == "value" for c in columns) and not any(c.role == "unplaced" for c in columns):
        return None, []
    first = min(c.index for c in columns)
    if first == 0:  # nothing left of the amounts says what a row is
        cell = grid.cell(header.row, 0)
        findings.append(
            Finding(
                "ROW_LABELS_MISSING",
                file=file_name,
                sheet=grid.sheet,
                cell=cell,
                params={"cell_ref": cell, "dimension": spec["rows"]["detail"]},
            )
        )
        return None, []
    label_cols = [f"c{i}" for i in range(first)]
    body = grid.frame.slice(header.row + 1, max(end - header.row - 1, 0)).with_row_index("_row", offset=header.row + 1)
    rows = classify_rows(spec, body, label_cols, mapping)
    long = _cells(rows, columns, number_format, grid.first_col)
    hierarchy = [level["dimension"] for level in spec["rows"]["hierarchy"]]
    unplaced = check_unplaced(long, columns, grid, file_name, findings)
    values = long.filter(pl.col("_role") == "value")
    details = values.filter(pl.col("_kind") == "detail")
    unplaced += _check_unrecognised(rows, values, grid, file_name, findings, spec["rows"]["detail"])
    check_subtotals(values, details, long, hierarchy, grid, file_name, tolerance, findings)
    if not unplaced:  # an unplaced column or row would make every total differ
        mismatched = check_total_columns(long, columns, hierarchy, grid, file_name, tolerance, findings)
        unplaced += check_placed_by_order(columns, mismatched, grid, file_name, findings)
    return details, unplaced


def _title_metadata(spec, title_rows, findings, file_name, grid) -> tuple[FileMeta, dict]:
    text = " | ".join(" ".join(c for c in row if c) for row in title_rows)
    meta = FileMeta()
    if match := YEAR.search(text):
        meta.year = match.group(1)
    if "rendiconto" in text:
        meta.phase = "rendiconto"
    elif "previsione" in text:
        meta.phase = "previsione"
    meta.body = body_in_text(text)
    fixed = {}
    if "title_amount_kind" in spec:
        for kind, pattern in spec["title_amount_kind"].items():
            if re.search(pattern, text):
                fixed["amount_kind"] = kind
                break
        else:
            findings.append(
                Finding(
                    "AMOUNT_KIND_UNKNOWN",
                    file=file_name,
                    sheet=grid.sheet,
                    cell=grid.cell(0, 0),
                    params={"value": text[:80]},
                )
            )
    return meta, fixed


def _part(extracted: pl.Expr, group: int, width: int) -> pl.Expr:
    text = extracted.struct.field(str(group))
    return text.replace(ROMAN).str.zfill(width)


def classify_rows(spec: dict, frame: pl.DataFrame, label_cols: list[str], mapping: dict | None = None) -> pl.DataFrame:
    """Add ``_kind`` (detail/subtotal/heading/adjustment/skip/other/outside), ``_level`` and the forward-filled
    codes."""
    rows_spec = spec["rows"]
    folded = [fold(pl.col(c)).fill_null("") for c in label_cols]
    frame = frame.with_columns(
        _label=pl.concat_str(folded, separator=" ").str.strip_chars(),
        _label_raw=pl.concat_str([pl.col(c) for c in label_cols], separator=" ", ignore_nulls=True).str.strip_chars(),
        **{f"_f{i}": expr for i, expr in enumerate(folded)},
    )
    subtotal = pl.lit(None, pl.String)
    for rule in reversed(rows_spec["subtotals"]):
        subtotal = (
            pl.when(pl.col("_label").str.contains(rule["pattern"])).then(pl.lit(rule["level"])).otherwise(subtotal)
        )

    def any_of(patterns):
        return pl.any_horizontal([pl.col("_label").str.contains(p) for p in patterns] or [pl.lit(False)])

    mapped_rows = _mapped_rows(mapping)
    ignored = [k for k, v in mapped_rows.items() if v == "ignora"]
    frame = frame.with_columns(
        _subtotal=subtotal,
        _skip=any_of(rows_spec.get("skip", [])) | pl.col("_label").is_in(ignored),
        _adjustment=any_of(rows_spec.get("adjustments", [])),
    )
    context = pl.col("_subtotal").is_null() & ~pl.col("_skip") & ~pl.col("_adjustment")

    parent_run = None
    hit_levels = []
    for level in rows_spec["hierarchy"]:
        dim = level["dimension"]
        shape = CODE_SHAPE[dim]
        candidates, partials = [], []
        for i in range(len(label_cols)):
            for pattern in level["patterns"]:
                groups = re.compile(pattern).groups
                extracted = pl.col(f"_f{i}").str.extract_groups(pattern)
                widths = shape[len(shape) - groups :]  # a partial code captures the last part(s)
                parts = [_part(extracted, g + 1, widths[g]) for g in range(groups)]
                if groups == len(shape):
                    candidates.append(pl.concat_str(parts, separator=JOIN.get(dim, ".")))
                else:
                    partials.append(parts[0])
                    candidates.append(
                        pl.concat_str([pl.col(PARENT_PREFIX[dim]), parts[0]], separator=JOIN.get(dim, "."))
                    )
        mapped = {k: v[dim] for k, v in mapped_rows.items() if isinstance(v, dict) and v.get(dim)}
        if mapped:
            candidates.insert(0, pl.col("_label").replace_strict(mapped, default=None, return_dtype=pl.String))
        hit = pl.when(context).then(pl.coalesce(candidates))
        partial = pl.when(context).then(pl.coalesce(partials)) if partials else pl.lit(None, pl.String)
        frame = frame.with_columns(hit.alias(f"_hit_{dim}"), partial.alias(f"_partial_{dim}"))
        filled = pl.col(f"_hit_{dim}").forward_fill()
        frame = frame.with_columns((filled if parent_run is None else filled.over(parent_run)).alias(dim))
        parent_run = (pl.col(dim).fill_null("") != pl.col(dim).fill_null("").shift(1)).fill_null(True).cum_sum()
        hit_levels.append(dim)

    detail = rows_spec["detail"]
    heading = pl.any_horizontal(
        [pl.col(f"_hit_{d}").is_not_null() for d in hit_levels if d != detail] or [pl.lit(False)]
    )
    deepest_heading = pl.lit(None, pl.String)
    for dim in hit_levels:
        if dim != detail:
            deepest_heading = pl.when(pl.col(f"_hit_{dim}").is_not_null()).then(pl.lit(dim)).otherwise(deepest_heading)
    return frame.with_columns(
        _kind=pl.when(pl.col("_subtotal").is_not_null())
        .then(pl.lit("subtotal"))
        .when(pl.col("_skip"))
        .then(pl.lit("skip"))
        .when(pl.col("_adjustment"))
        .then(pl.lit("adjustment"))
        .when(pl.col(f"_hit_{detail}").is_not_null())
        .then(pl.lit("detail"))
        .when(pl.col(f"_partial_{detail}").is_not_null())
        .then(pl.lit("outside"))
        .when(heading)
        .then(pl.lit("heading"))
        .otherwise(pl.lit("other")),
        _level=pl.coalesce(pl.col("_subtotal"), deepest_heading),
    )


def _mapped_rows(mapping: dict | None) -> dict:
    return {fold_text(k): v for k, v in (mapping or {}).get("rows", {}).items()}


def _cells(rows: pl.DataFrame, columns: list[Column], number_format: str, first_col: int) -> pl.DataFrame:
    """One row per (sheet row, column) with the column's codes, role and the parsed amount."""
    keep = [c for c in rows.columns if c.startswith("_") or c in CODE_SHAPE]
    long = rows.select(*keep, *[pl.col(c.name) for c in columns]).unpivot(
        index=keep, on=[c.name for c in columns], variable_name="_column", value_name="amount_text"
    )
    column_table = pl.DataFrame(
        {
            "_column": [c.name for c in columns],
            "_letter": [column_letter(first_col + c.index) for c in columns],
            "_role": [c.role for c in columns],
            "_total": [c.role == "total" for c in columns],
            "_restrict_title": [c.restrict_title for c in columns],
            **{f"_col_{d}": [c.dims.get(d) for c in columns] for d in DIMENSIONS},
        },
        schema_overrides={f"_col_{d}": pl.String for d in DIMENSIONS} | {"_restrict_title": pl.String},
    )
    long = long.join(column_table, on="_column", how="left")
    for dim in DIMENSIONS:
        column_value = pl.col(f"_col_{dim}")
        long = long.with_columns(
            (pl.coalesce(column_value, pl.col(dim)) if dim in long.columns else column_value).alias(dim)
        )
    return parse_amounts(long, "amount_text", number_format)


def _derive_parents(lines: pl.DataFrame) -> pl.DataFrame:
    """Title from the macroaggregate, mission from the programme, when the file left them implicit."""
    updates = []
    if "macroaggregato" in lines.columns:
        titolo = pl.col("titolo") if "titolo" in lines.columns else pl.lit(None, pl.String)
        updates.append(pl.coalesce(titolo, pl.col("macroaggregato").str.slice(0, 1)).alias("titolo"))
    if "programma" in lines.columns:
        updates.append(pl.coalesce(pl.col("missione"), pl.col("programma").str.slice(0, 2)).alias("missione"))
    return lines.with_columns(updates) if updates else lines


def _check_unrecognised(rows, values, grid, file_name, findings, detail) -> list[dict]:
    """Rows with amounts that are neither detail, heading, subtotal nor a known row to skip; returned as unplaced
    rows."""
    amounts = (
        values.filter(pl.col("amount_cents").fill_null(1) != 0, pl.col("amount_text").is_not_null())
        .group_by("_row")
        .len()
    )
    odd = rows.join(amounts, on="_row").filter(pl.col("_kind").is_in(["other", "outside"])).sort("_row")
    unplaced = []
    for row, kind, label in odd.select("_row", "_kind", "_label_raw").iter_rows():
        code = "ROW_OUTSIDE_BLOCK" if kind == "outside" else "ROW_UNRECOGNISED"
        findings.append(
            Finding(
                code,
                file=file_name,
                sheet=grid.sheet,
                cell=grid.cell(row, 0),
                params={"label": label or "", "dimension": detail},
            )
        )
        unplaced.append(
            {
                "kind": "row",
                "label": label or "",
                "key": label or "",
                "cell": grid.cell(row, 0),
                "sheet": grid.sheet,
                "dimension": detail,
            }
        )
    return unplaced
