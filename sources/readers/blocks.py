"""The ``blocks`` engine: annexes and matrices with a title block, nested row blocks and subtotals.

Rows: labels in the columns left of the first amount column say which mission, programme,
title or macroaggregate a row opens or details (patterns from the profile); each level is
forward-filled inside its parent block. Columns: one or two header rows name the dimension(s)
the amount columns carry (macroaggregate, amount kind, or mission × amount kind). Subtotal rows
and total columns are checked against the detail they summarise, then dropped.
Everything is vectorised over the sheet; Python loops only run over header cells and findings.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import polars as pl

from areavasta.findings import Finding, column_letter
from sources.grid import Grid
from sources.layouts import Profile
from sources.readers.base import Extracted, FileMeta, finish_lines
from sources.vocab import amount_kind_of, body_in_text, macro_of, mission_of
from transforms.amounts import format_euro, parse_amounts
from transforms.codes import fold

# How many parts each code has and how wide each part is zero-padded.
CODE_SHAPE = {"missione": (2,), "programma": (2, 2), "titolo": (1,), "macroaggregato": (1, 2)}
PARENT_PREFIX = {"programma": ("missione", 2), "macroaggregato": ("titolo", 1)}
HEADER_MATCHERS = {"macroaggregato": macro_of, "missione": mission_of}
YEAR = re.compile(r"\b(20\d{2})\b")


@dataclass
class Column:
    name: str  # frame column, "c7"
    index: int
    dims: dict  # dimension -> code, for amount columns
    total: bool = False
    restrict_title: str | None = None  # a "Totale titolo N" column sums only that title's macroaggregates
    label: str = ""  # header text as written


def read_blocks(profile: Profile, grid: Grid, file_name: str, tolerance: int, given_year: int | None = None) -> Extracted:
    spec = profile.spec
    cells = grid.head_cells()
    findings: list[Finding] = []
    dims = spec["header"]["dimensions"]

    header = _find_header(cells, dims[-1], spec["header"]["min_matches"])
    if header is None:
        findings.append(Finding("HEADER_NOT_FOUND", file=file_name, sheet=grid.sheet, params={"expected": ", ".join(dims)}))
        return Extracted(profile, finish_lines(pl.DataFrame(schema={"amount_text": pl.String}), "it"), FileMeta(), findings)
    top = header - (len(dims) - 1)
    meta, fixed = _title_metadata(spec, cells[:top], findings, file_name, grid)
    year = given_year or (int(meta.year) if meta.year else None)
    columns = _header_columns(spec, grid, cells, header, dims, year, findings, file_name)
    value_cols = [c for c in columns if not c.total]
    if not value_cols:
        findings.append(Finding("HEADER_NOT_FOUND", file=file_name, sheet=grid.sheet, params={"expected": ", ".join(dims)}))
        return Extracted(profile, finish_lines(pl.DataFrame(schema={"amount_text": pl.String}), "it"), meta, findings)
    label_cols = [f"c{i}" for i in range(min(c.index for c in columns))]

    rows = _classify_rows(spec, grid.frame.slice(header + 1).with_row_index("_row", offset=header + 1), label_cols)
    long = _cells(rows, columns, profile.number_format, grid.first_col)
    hierarchy = [level["dimension"] for level in spec["rows"]["hierarchy"]]

    details = long.filter(pl.col("_kind") == "detail", ~pl.col("_total"))
    _check_unrecognised(rows, long, grid, file_name, findings, spec["rows"]["detail"])
    _check_subtotals(long, details, hierarchy, grid, file_name, tolerance, findings)
    if not any(f.code == "COLUMN_UNMATCHED" for f in findings):  # an unknown column would make every total differ
        _check_total_columns(long, columns, grid, file_name, tolerance, findings)

    lines = details.filter(pl.col("amount_text").is_not_null(), pl.col("amount_cents").fill_null(1) != 0)
    lines = lines.with_columns([pl.lit(v, pl.String).alias(k) for k, v in fixed.items()])
    if "titolo" not in lines.columns or "macroaggregato" in lines.columns:
        lines = _derive_parents(lines)
    lines = lines.with_columns(
        sheet=pl.lit(grid.sheet, pl.String),
        cell=pl.concat_str(pl.col("_letter"), (pl.col("_row") + grid.first_row + 1).cast(pl.String)),
        source_row=(pl.col("_row") + grid.first_row + 1).cast(pl.Int32),
        description=pl.col("_label_raw"),
    )
    return Extracted(profile, finish_lines(lines, profile.number_format), meta, findings)


def _find_header(cells: list[list[str]], dim: str, minimum: int) -> int | None:
    for index, row in enumerate(cells):
        hits = sum(1 for cell in row if cell and _match_header(dim, cell, None))
        if hits >= minimum:
            return index
    return None


def _match_header(dim: str, text: str, year: int | None) -> str | None:
    if dim == "amount_kind":
        return amount_kind_of(text, year)
    return HEADER_MATCHERS[dim](text)


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
                Finding("AMOUNT_KIND_UNKNOWN", file=file_name, sheet=grid.sheet, cell=grid.cell(0, 0), params={"value": text[:80]})
            )
    return meta, fixed


def _header_columns(spec, grid, cells, header, dims, year, findings, file_name) -> list[Column]:
    total_pattern = re.compile(spec["header"]["total_pattern"])
    bottom = cells[header]
    top = _fill_right(cells[header - 1]) if len(dims) == 2 else None
    columns: list[Column] = []
    unmatched: dict[str, tuple[int, int]] = {}
    first_value = None
    for index, cell in enumerate(bottom):
        if not cell and not (top and top[index]):
            continue
        codes = {dims[-1]: _match_header(dims[-1], cell, year)} if cell else {}
        top_text = top[index] if top else ""
        is_total = bool(total_pattern.search(cell)) or bool(top and total_pattern.search(top_text))
        if top is not None and not is_total and top_text:
            codes[dims[0]] = _match_header(dims[0], top_text, year)
            if codes[dims[0]] is None:
                unmatched.setdefault(top_text, (header - 1, index))
        if is_total:
            title = re.search(r"titolo (\d)", cell)
            kind = codes.get(dims[-1]) if dims[-1] == "amount_kind" else None
            label = " ".join(filter(None, [grid.frame[header - 1, f"c{index}"] if top else None, grid.frame[header, f"c{index}"]]))
            columns.append(Column(f"c{index}", index, {"amount_kind": kind} if kind else {}, True, title.group(1) if title else None, label))
        elif all(codes.get(d) for d in dims):
            columns.append(Column(f"c{index}", index, codes))
            first_value = index if first_value is None else first_value
        elif first_value is not None or codes.get(dims[-1]):
            if cell and not codes.get(dims[-1]):
                unmatched.setdefault(cell, (header, index))
    for label, (row, col) in unmatched.items():
        original = grid.frame[row, f"c{col}"]
        findings.append(
            Finding(
                "COLUMN_UNMATCHED",
                file=file_name,
                sheet=grid.sheet,
                cell=grid.cell(row, col),
                params={"label": original or label, "dimension": dims[0] if row == header - 1 and len(dims) == 2 else dims[-1]},
            )
        )
    return columns


def _fill_right(row: list[str]) -> list[str]:
    """Merged header cells: a mission name spreads over the kinds beneath it."""
    filled, current = [], ""
    for cell in row:
        current = cell or current
        filled.append(current)
    return filled


def _classify_rows(spec: dict, frame: pl.DataFrame, label_cols: list[str]) -> pl.DataFrame:
    """Add ``_kind`` (detail/subtotal/heading/skip/other), ``_level`` and the forward-filled codes."""
    rows_spec = spec["rows"]
    folded = [fold(pl.col(c)).fill_null("") for c in label_cols]
    frame = frame.with_columns(
        _label=pl.concat_str(folded, separator=" ").str.strip_chars(),
        _label_raw=pl.concat_str([pl.col(c) for c in label_cols], separator=" ", ignore_nulls=True).str.strip_chars(),
        **{f"_f{i}": expr for i, expr in enumerate(folded)},
    )
    subtotal = pl.lit(None, pl.String)
    for rule in reversed(rows_spec["subtotals"]):
        subtotal = pl.when(pl.col("_label").str.contains(rule["pattern"])).then(pl.lit(rule["level"])).otherwise(subtotal)
    skip = pl.any_horizontal([pl.col("_label").str.contains(p) for p in rows_spec.get("skip", [])] or [pl.lit(False)])
    frame = frame.with_columns(_subtotal=subtotal, _skip=skip)
    context = pl.col("_subtotal").is_null() & ~pl.col("_skip")

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
                parts = [extracted.struct.field(str(g + 1)).str.zfill(widths[g]) for g in range(groups)]
                if groups == len(shape):
                    candidates.append(pl.concat_str(parts, separator="."))
                else:
                    parent, _ = PARENT_PREFIX[dim]
                    partials.append(parts[0])
                    candidates.append(pl.concat_str([pl.col(parent), parts[0]], separator="."))
        hit = pl.when(context).then(pl.coalesce(candidates))
        partial = pl.when(context).then(pl.coalesce(partials)) if partials else pl.lit(None, pl.String)
        frame = frame.with_columns(hit.alias(f"_hit_{dim}"), partial.alias(f"_partial_{dim}"))
        filled = pl.col(f"_hit_{dim}").forward_fill()
        frame = frame.with_columns((filled if parent_run is None else filled.over(parent_run)).alias(dim))
        parent_run = (pl.col(dim).fill_null("") != pl.col(dim).fill_null("").shift(1)).fill_null(True).cum_sum()
        hit_levels.append(dim)

    detail = rows_spec["detail"]
    heading = pl.any_horizontal([pl.col(f"_hit_{d}").is_not_null() for d in hit_levels if d != detail] or [pl.lit(False)])
    deepest_heading = pl.lit(None, pl.String)
    for dim in hit_levels:
        if dim != detail:
            deepest_heading = pl.when(pl.col(f"_hit_{dim}").is_not_null()).then(pl.lit(dim)).otherwise(deepest_heading)
    return frame.with_columns(
        _kind=pl.when(pl.col("_subtotal").is_not_null())
        .then(pl.lit("subtotal"))
        .when(pl.col("_skip"))
        .then(pl.lit("skip"))
        .when(pl.col(f"_hit_{detail}").is_not_null())
        .then(pl.lit("detail"))
        .when(pl.col(f"_partial_{detail}").is_not_null())
        .then(pl.lit("outside"))
        .when(heading)
        .then(pl.lit("heading"))
        .otherwise(pl.lit("other")),
        _level=pl.coalesce(pl.col("_subtotal"), deepest_heading),
    )


def _cells(rows: pl.DataFrame, columns: list[Column], number_format: str, first_col: int) -> pl.DataFrame:
    """One row per (sheet row, amount column) with the column's codes and the parsed amount."""
    keep = [c for c in rows.columns if c.startswith("_") or c in CODE_SHAPE]
    long = rows.select(*keep, *[pl.col(c.name) for c in columns]).unpivot(
        index=keep, on=[c.name for c in columns], variable_name="_column", value_name="amount_text"
    )
    column_table = pl.DataFrame(
        {
            "_column": [c.name for c in columns],
            "_letter": [column_letter(first_col + c.index) for c in columns],
            "_total": [c.total for c in columns],
            "_restrict_title": [c.restrict_title for c in columns],
            **{f"_col_{d}": [c.dims.get(d) for c in columns] for d in ("missione", "amount_kind", "macroaggregato")},
        },
        schema_overrides={f"_col_{d}": pl.String for d in ("missione", "amount_kind", "macroaggregato")}
        | {"_restrict_title": pl.String},
    )
    long = long.join(column_table, on="_column", how="left")
    for dim in ("missione", "amount_kind", "macroaggregato"):
        column_value = pl.col(f"_col_{dim}")
        long = long.with_columns((pl.coalesce(column_value, pl.col(dim)) if dim in long.columns else column_value).alias(dim))
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


def _check_unrecognised(rows, long, grid, file_name, findings, detail):
    amounts = (
        long.filter(~pl.col("_total"), pl.col("amount_cents").fill_null(1) != 0, pl.col("amount_text").is_not_null())
        .group_by("_row")
        .len()
    )
    odd = rows.join(amounts, on="_row").filter(pl.col("_kind").is_in(["other", "outside"])).sort("_row")
    for row, kind, label in odd.select("_row", "_kind", "_label_raw").iter_rows():
        code = "ROW_OUTSIDE_BLOCK" if kind == "outside" else "ROW_UNRECOGNISED"
        findings.append(
            Finding(code, file=file_name, sheet=grid.sheet, cell=grid.cell(row, 0), params={"label": label or "", "dimension": detail})
        )


def _check_subtotals(long, details, hierarchy, grid, file_name, tolerance, findings):
    """Subtotal rows (and heading rows carrying amounts) must equal the sum of their detail."""
    checks = long.filter(
        ~pl.col("_total"), (pl.col("_kind") == "subtotal") | ((pl.col("_kind") == "heading") & pl.col("amount_text").is_not_null())
    )
    if checks.is_empty():
        return
    mismatches = []
    for level, group in checks.group_by("_level"):
        level = level[0]
        keys = [] if level == "all" else hierarchy[: hierarchy.index(level) + 1]
        sums = details.group_by([*keys, "_column"]).agg(_computed=pl.col("amount_cents").sum())
        joined = group.join(sums, on=[*keys, "_column"], how="left", nulls_equal=True).with_columns(
            _stated=pl.col("amount_cents").fill_null(0), _computed=pl.col("_computed").fill_null(0)
        )
        mismatches.append(joined.filter((pl.col("_stated") - pl.col("_computed")).abs() > tolerance))
    bad = pl.concat(mismatches, how="diagonal_relaxed").sort("_row", "_column")
    for row in bad.select("_row", "_letter", "_label_raw", "_stated", "_computed").iter_rows():
        findings.append(_mismatch("SUBTOTAL_MISMATCH", grid, file_name, row))


def _check_total_columns(long, columns, grid, file_name, tolerance, findings):
    """Total columns must equal the sum of the row's amount columns (same kind, same title)."""
    totals = [c for c in columns if c.total]
    if not totals:
        return
    values = long.filter(~pl.col("_total"), pl.col("_kind").is_in(["detail", "subtotal", "heading"]))
    for column in totals:
        part = values
        if kind := column.dims.get("amount_kind"):
            part = part.filter(pl.col("amount_kind") == kind)
        if column.restrict_title:
            part = part.filter(pl.col("macroaggregato").str.starts_with(column.restrict_title + "."))
        sums = part.group_by("_row").agg(_computed=pl.col("amount_cents").sum())
        stated = long.filter(pl.col("_column") == column.name, pl.col("_kind").is_in(["detail", "subtotal", "heading"]))
        bad = (
            stated.join(sums, on="_row", how="left")
            .with_columns(_stated=pl.col("amount_cents").fill_null(0), _computed=pl.col("_computed").fill_null(0))
            .filter((pl.col("_stated") - pl.col("_computed")).abs() > tolerance)
            .sort("_row")
        )
        for row in bad.select("_row", "_letter", "_label_raw", "_stated", "_computed").iter_rows():
            findings.append(_mismatch("TOTAL_COLUMN_MISMATCH", grid, file_name, row, column.label))


def _mismatch(code, grid, file_name, row, label=None) -> Finding:
    index, letter, row_label, stated, computed = row
    return Finding(
        code,
        file=file_name,
        sheet=grid.sheet,
        cell=f"{letter}{index + grid.first_row + 1}",
        params={
            "label": label or row_label or "",
            "stated": format_euro(stated),
            "computed": format_euro(computed),
            "difference": format_euro(stated - computed),
        },
    )
