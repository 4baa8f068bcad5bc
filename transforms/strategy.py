"""Strategic analysis: who could share each function's work, what they bring, how it could be delivered.

Every service programme belongs to a *field* (``data/strategy/fields.csv``: roads, school buildings,
environmental controls, …). Actors (``actors.csv``) and alternative delivery modes with their
conditions and the evidence they need (``delivery_modes.csv``) are catalogued per field, with
programme-specific rows on top; a body's own file (same columns) replaces the rows of the same
scope and key.
"""

from __future__ import annotations

import polars as pl

ENGLISH_OF = {"actor_en": "actor", "resources_en": "resources_it", "delivery_mode_en": "delivery_mode_it"}
SOURCE_WORDS = {"it": {"programme": "programma", "field": "ambito"}, "en": {"programme": "programme", "field": "field"}}


def merge_catalogue(default: pl.DataFrame, body_rows: pl.DataFrame | None) -> pl.DataFrame:
    """The body's rows replace the default rows of the same scope and key (English columns it leaves out: its
    Italian)."""
    if body_rows is None or body_rows.is_empty():
        return default
    body_rows = body_rows.with_columns(
        pl.col(it).alias(en) for en, it in ENGLISH_OF.items() if en not in body_rows.columns
    )
    if "regional_topic" in default.columns and "regional_topic" not in body_rows.columns:
        body_rows = body_rows.with_columns(regional_topic=pl.lit(None, pl.String))
    if (
        "plan_kinds" in default.columns and "plan_kinds" not in body_rows.columns
    ):  # a body's own partners: for its own plans
        body_rows = body_rows.with_columns(plan_kinds=pl.lit("development;maintain;delegation"))
    replaced = body_rows.select("scope", "key").unique()
    return pl.concat([default.join(replaced, on=["scope", "key"], how="anti"), body_rows.select(default.columns)])


def strategic_analysis(
    functions: pl.DataFrame,
    catalogue: pl.DataFrame,
    fields: pl.DataFrame,
    modes: pl.DataFrame | None = None,
    lang: str = "it",
) -> pl.DataFrame:
    """One row per function and actor of its field (programme-specific rows first), with the field's delivery modes.

    ``catalogue``: scope (``field`` | ``programme``), key, actor, resources_it, delivery_mode_it (and their ``_en``).
    The words (actor, resources, delivery_mode, field_name, modes, source) come in ``lang``.
    """
    catalogue = catalogue.with_columns(
        pl.col(it).alias(en) for en, it in ENGLISH_OF.items() if en not in catalogue.columns
    )
    suffix = "en" if lang == "en" else "it"
    words = SOURCE_WORDS[suffix]
    classified = (
        with_field(functions.filter(pl.col("quadrant").is_not_null()), fields)
        .select("body", "year", "phase", "function", "quadrant", pl.col("fields").alias("field"))
        .explode("field")
    )
    specific = classified.join(
        catalogue.filter(pl.col("scope") == "programme").rename({"key": "function"}), on="function"
    ).with_columns(source=pl.lit(words["programme"]))
    general = (
        classified.join(catalogue.filter(pl.col("scope") == "field").rename({"key": "field"}), on="field")
        .join(
            specific.select("body", "year", "phase", "function", "actor"),
            on=["body", "year", "phase", "function", "actor"],
            how="anti",
        )
        .with_columns(source=pl.lit(words["field"]))
    )
    out = pl.concat([specific.drop("scope"), general.drop("scope")], how="diagonal_relaxed").join(
        fields.select("field", pl.col(f"name_{suffix}").alias("field_name")), on="field", how="left"
    )
    if modes is not None:
        fit = "fit_en" if suffix == "en" and "fit_en" in modes.columns else "fit"
        data = {"it": "; dati: ", "en": "; data: "}[suffix]
        chosen = modes.group_by("field", maintain_order=True).agg(
            modes=pl.concat_str(
                pl.col("mode"),
                pl.lit(" ("),
                pl.col(fit),
                pl.lit("): "),
                pl.col(f"conditions_{suffix}"),
                pl.lit(data),
                pl.col(f"evidence_{suffix}"),
            ).str.join(" | ")
        )
        out = out.join(chosen, on="field", how="left")
    if suffix == "en":
        out = out.with_columns(actor_it=pl.col("actor"), actor=pl.col("actor_en"))
    out = out.with_columns(resources=pl.col(f"resources_{suffix}"), delivery_mode=pl.col(f"delivery_mode_{suffix}"))
    return out.sort("body", "year", "phase", "function", pl.col("source") != words["programme"], "actor")


def programme_fields(fields: pl.DataFrame) -> pl.DataFrame:
    """``function`` → ``field`` from the field catalogue's ``programmes`` column (``10.05`` or ``05.01;05.02``)."""
    return fields.select("field", pl.col("programmes").str.split(";").alias("function")).explode("function")


def with_field(functions: pl.DataFrame, fields: pl.DataFrame) -> pl.DataFrame:
    """Each function's ``field`` and ``fields`` (a list): one field for a programme; for a mission-level function
    (files with mission detail only) every field of the mission's programmes, ``field`` being the first.
    Null for a programme the catalogue does not cover (e.g. a support programme)."""
    mapping = programme_fields(fields)
    by_mission = mapping.group_by(pl.col("function").str.slice(0, 2), maintain_order=True).agg(
        _mission_fields=pl.col("field").unique(maintain_order=True)
    )
    out = functions.join(mapping, on="function", how="left").join(by_mission, on="function", how="left")
    return out.with_columns(
        fields=pl.when(pl.col("field").is_not_null())
        .then(pl.concat_list("field"))
        .otherwise(pl.col("_mission_fields")),
        field=pl.coalesce("field", pl.col("_mission_fields").list.first()),
    ).drop("_mission_fields")


def plan_kind(status_plans: dict[str, str]) -> pl.Expr:
    """The kind of plan of the status (``statuses.csv`` › ``plan``): development (retained), delegation (delegated by
    the Region: governed, never wound down), handover (transferred), split (a mission whose programmes differ in
    status)."""
    return pl.col("status").replace_strict(status_plans, default="development", return_dtype=pl.String)


def in_development_ranking(status_plans: dict[str, str]) -> pl.Expr:
    """Functions the ranking compares: those the body owns, and transferred or delegated ones it still funds itself
    (own_funding >= 1)."""
    own = pl.col("own_funding").cast(pl.Int8, strict=False).fill_null(0) >= 1
    return ~plan_kind(status_plans).is_in(["handover", "delegation"]) | own
