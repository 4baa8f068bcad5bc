"""Reconciling a table with itself: subtotal rows, total columns, columns placed by order, unplaced columns.

Blank is not zero: a ``Totale Missione`` row that fills only the total column states nothing in
the other columns, so only its total is checked (against the block's detail). An adjustment row
(``Ripiano disavanzo``, ``Fondo pluriennale vincolato``, ``Utilizzo avanzo``) and a deficit column
are not loaded, but a grand total may include them: both readings are accepted.
"""

from __future__ import annotations

import polars as pl

from sources.findings import Finding
from sources.grid import Grid
from sources.readers.headers import Column
from sources.vocab import mission_name
from transforms.amounts import format_euro

ROW_KINDS = ["detail", "subtotal", "heading"]


def check_unplaced(
    long: pl.DataFrame, columns: list[Column], grid: Grid, file_name: str, findings: list[Finding]
) -> list[dict]:
    """A column nothing could place: an error when it holds amounts, a warning when it is empty (``uso interno``)."""
    unplaced = []
    with_amounts = set(
        long.filter(pl.col("_role") == "unplaced", pl.col("amount_cents").fill_null(0) != 0)["_column"]
        .unique()
        .to_list()
    )
    reported_groups = set()
    for column in columns:
        if column.role != "unplaced":
            continue
        cell = grid.cell(*column.cell)
        if column.group_text and column.name in with_amounts:  # a mission group: one finding, at the mission's name
            if column.group_text in reported_groups:
                continue
            reported_groups.add(column.group_text)
            cell = grid.cell(*(column.group_cell or column.cell))
        if column.name in with_amounts:
            dimension = "missione" if column.candidates or "amount_kind" in column.dims else "macroaggregato"
            findings.append(
                Finding(
                    "COLUMN_UNMATCHED",
                    file=file_name,
                    sheet=grid.sheet,
                    cell=cell,
                    params={"label": column.label, "dimension": dimension, "hint": _hint(column)},
                )
            )
            unplaced.append(
                {
                    "kind": "column",
                    "label": column.label,
                    "key": column.group_label or column.label,
                    "cell": cell,
                    "sheet": grid.sheet,
                    "amount_kind": column.dims.get("amount_kind"),
                    "dimension": dimension,
                    "candidates": [c for c in column.candidates if c.isdigit()],
                }
            )
        elif column.label and not any(
            f.code == "COLUMN_IGNORED" and f.sheet == grid.sheet and f.params.get("label") == column.label
            for f in findings
        ):  # one warning per caption and sheet, not one per table
            findings.append(
                Finding("COLUMN_IGNORED", file=file_name, sheet=grid.sheet, cell=cell, params={"label": column.label})
            )
    return unplaced


def _hint(column: Column) -> str:
    missions = [c for c in column.candidates if c.isdigit()]
    if not missions:
        return ""
    return " (" + " / ".join(f"{m} {mission_name(m)}" for m in missions) + ")"


def _adjustments(long: pl.DataFrame) -> pl.DataFrame:
    return (
        long.filter(pl.col("_kind") == "adjustment", pl.col("_role") == "value")
        .group_by("_column")
        .agg(_adjust=pl.col("amount_cents").fill_null(0).sum())
    )


def check_subtotals(values, details, long, hierarchy, grid, file_name, tolerance, findings) -> None:
    """Subtotal rows (and heading rows carrying amounts) must equal the sum of their detail, cell by cell."""
    checks = values.filter(
        pl.col("amount_text").is_not_null(),
        (pl.col("_kind") == "subtotal") | (pl.col("_kind") == "heading"),
    )
    if checks.is_empty():
        return
    adjust = _adjustments(long)
    mismatches = []
    for (level,), group in checks.group_by("_level"):
        keys = [] if level == "all" else hierarchy[: hierarchy.index(level) + 1]
        sums = details.group_by([*keys, "_column"]).agg(_computed=pl.col("amount_cents").sum())
        joined = (
            group.join(sums, on=[*keys, "_column"], how="left", nulls_equal=True)
            .join(adjust, on="_column", how="left")
            .with_columns(
                _stated=pl.col("amount_cents").fill_null(0),
                _computed=pl.col("_computed").fill_null(0),
                _adjust=pl.col("_adjust").fill_null(0) if level == "all" else pl.lit(0, pl.Int64),
            )
        )
        mismatches.append(joined.filter(_differs(tolerance)))
    bad = pl.concat(mismatches, how="diagonal_relaxed").sort("_row", "_column")
    for row in bad.select("_row", "_letter", "_label_raw", "_stated", "_computed").iter_rows():
        findings.append(_mismatch("SUBTOTAL_MISMATCH", grid, file_name, row))


def _differs(tolerance: int = 0) -> pl.Expr:
    difference = pl.col("_stated") - pl.col("_computed")
    return (difference.abs() > tolerance) & ((difference - pl.col("_adjust")).abs() > tolerance)


def check_total_columns(long, columns, hierarchy, grid, file_name, tolerance, findings) -> set[str]:
    """Total columns must equal the sum of the row's amount columns (same kind, same title).

    A row whose amount cells are all blank (``Totale Missione`` filling only the total column) is
    checked against the sum of its block's detail instead. Returns the kinds whose totals differ.
    """
    mismatched: set[str] = set()
    totals = [c for c in columns if c.total]
    if not totals:
        return mismatched
    rows = long.filter(pl.col("_kind").is_in(ROW_KINDS))
    offsets = (
        long.filter(pl.col("_role") == "offset").group_by("_row").agg(_offset=pl.col("amount_cents").fill_null(0).sum())
    )
    adjust_rows = long.filter(pl.col("_kind") == "adjustment", pl.col("_role") == "value")
    for column in totals:
        part = rows.filter(pl.col("_role") == "value")
        adjust = adjust_rows
        if kind := column.dims.get("amount_kind"):
            part, adjust = part.filter(pl.col("amount_kind") == kind), adjust.filter(pl.col("amount_kind") == kind)
        if column.restrict_title:
            part = part.filter(pl.col("macroaggregato").str.starts_with(column.restrict_title + "."))
        sums = part.group_by("_row").agg(
            _computed=pl.col("amount_cents").fill_null(0).sum(), _has=pl.col("amount_text").is_not_null().any()
        )
        stated = rows.filter(pl.col("_column") == column.name, pl.col("amount_text").is_not_null())
        joined = (
            stated.join(sums, on="_row", how="left")
            .join(offsets, on="_row", how="left")
            .with_columns(
                _stated=pl.col("amount_cents").fill_null(0),
                _computed=pl.col("_computed").fill_null(0),
                _adjust=pl.col("_offset").fill_null(0),
                _has=pl.col("_has").fill_null(False),
            )
        )
        blank_blocks = joined.filter(~pl.col("_has"), pl.col("_kind") != "detail")
        bad = [joined.filter(pl.col("_has") | (pl.col("_kind") == "detail")).filter(_differs(tolerance))]
        if not blank_blocks.is_empty():
            detail_sums = part.filter(pl.col("_kind") == "detail")
            adjustment = int(adjust["amount_cents"].fill_null(0).sum())
            for (level,), group in blank_blocks.group_by("_level"):
                keys = [] if level in ("all", None) else hierarchy[: hierarchy.index(level) + 1]
                block = (
                    detail_sums.group_by(keys).agg(_block=pl.col("amount_cents").fill_null(0).sum())
                    if keys
                    else detail_sums.select(_block=pl.col("amount_cents").fill_null(0).sum())
                )
                checked = (
                    group.join(block, on=keys, how="left", nulls_equal=True) if keys else group.join(block, how="cross")
                )
                checked = checked.with_columns(
                    _computed=pl.col("_block").fill_null(0),
                    _adjust=pl.lit(adjustment if level in ("all", None) else 0, pl.Int64),
                )
                bad.append(checked.filter(_differs(tolerance)).drop("_block"))
        bad_rows = pl.concat(bad, how="diagonal_relaxed").sort("_row")
        for row in bad_rows.select("_row", "_letter", "_label_raw", "_stated", "_computed").iter_rows():
            findings.append(_mismatch("TOTAL_COLUMN_MISMATCH", grid, file_name, row, column.label))
        if bad_rows.height:
            mismatched.add(kind or "*")
    return mismatched


def check_placed_by_order(
    columns: list[Column], mismatched: set[str], grid: Grid, file_name: str, findings: list[Finding]
) -> list[dict]:
    """A mission placed by its position is accepted only when the total columns confirm it (warning), else an error."""
    total_kinds = {c.dims.get("amount_kind") or "*" for c in columns if c.total}
    by_mission: dict[str, list[Column]] = {}
    for column in columns:
        if column.role == "value" and column.placed_by == "order":
            by_mission.setdefault(column.dims["missione"], []).append(column)
    unplaced = []
    for mission, group in by_mission.items():
        kinds = {c.dims["amount_kind"] for c in group}
        confirmed = all(
            (k in total_kinds or "*" in total_kinds) and k not in mismatched and "*" not in mismatched for k in kinds
        )
        first = group[0]
        cell = grid.cell(*(first.group_cell or first.cell))
        if confirmed:
            findings.append(
                Finding(
                    "COLUMN_PLACED_BY_ORDER",
                    file=file_name,
                    sheet=grid.sheet,
                    cell=cell,
                    params={"label": first.label, "mission": f"{mission} {mission_name(mission)}"},
                )
            )
        else:
            findings.append(
                Finding(
                    "COLUMN_UNMATCHED",
                    file=file_name,
                    sheet=grid.sheet,
                    cell=cell,
                    params={
                        "label": first.label,
                        "dimension": "missione",
                        "hint": f" ({mission} {mission_name(mission)}?)",
                    },
                )
            )
            unplaced.append(
                {
                    "kind": "column",
                    "label": first.label,
                    "key": first.group_label or first.label,
                    "cell": cell,
                    "sheet": grid.sheet,
                    "amount_kind": first.dims.get("amount_kind"),
                    "dimension": "missione",
                    "candidates": [mission],
                }
            )
    return unplaced


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
