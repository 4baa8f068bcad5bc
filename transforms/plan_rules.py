"""Which kind of plan a function gets, from its legal status and its spending (pure polars).

The status gives the kind (``data/classification/statuses.csv`` › ``plan``: retained → development, delegated →
delegation, transferred → handover, mixed → split); a function the body keeps whose money passes through to other
bodies (``data/plans/consistency.yaml`` › ``pass_through``) is maintained and governed, never co-produced.
"""

from __future__ import annotations

import polars as pl

from transforms.portfolio import condition

NO_COPRODUCTION = ("maintain", "handover", "split")  # kinds that never propose co-production themselves


def pass_through(rules: list[dict]) -> pl.Expr:
    """True where any of the ``pass_through`` alternatives holds (all the conditions of one alternative)."""
    alternatives = [pl.all_horizontal([condition(c, spec) for c, spec in rule["when"].items()]) for rule in rules]
    return pl.any_horizontal(alternatives).fill_null(False)


def plan_kind(status_plans: dict[str, str], through: pl.Expr | None = None) -> pl.Expr:
    """The status's kind (a function not pertinent to the body that still costs money: hand-over to its owner);
    ``development`` becomes ``maintain`` where ``through`` (a pass-through function) holds."""
    kind = pl.col("status").replace_strict(status_plans, default="development", return_dtype=pl.String)
    kind = (
        pl.when(kind == "none").then(pl.lit("handover")).otherwise(kind)
    )  # not the body's function: back to its owner
    if through is None:
        return kind
    return pl.when((kind == "development") & through).then(pl.lit("maintain")).otherwise(kind)


def allowed_types(field_types: str, allowed: str | None, kind: str) -> str:
    """Co-production types a plan may propose: the field's for a development; for a delegation, only those the
    delegation allows (``delegations.csv``); none for the other kinds."""
    if kind == "development":
        return field_types
    if kind == "delegation":
        permitted = set((allowed or "").split(";"))
        return ";".join(t for t in field_types.split(";") if t in permitted)
    return ""


def for_region(rows: pl.DataFrame, laws: dict[str, str], columns: tuple[str, ...]) -> pl.DataFrame:
    """Catalogue rows (actors, instruments) with a ``regional_topic``: kept only where the body's own region has a law
    on that topic (``laws``: topic → citation), with ``$regional_law`` replaced by its citation in ``columns``. Never
    another region's law as an example: without a law of its own region, the national instruments stand alone."""
    if "regional_topic" not in rows.columns:
        return rows
    topic = pl.col("regional_topic").fill_null("")
    kept = rows.filter((topic == "") | topic.is_in(list(laws)))
    citation = topic.replace_strict(laws, default="", return_dtype=pl.String)
    return kept.with_columns(
        pl.col(c).str.replace_all("$regional_law", citation, literal=True) for c in columns if c in rows.columns
    )
