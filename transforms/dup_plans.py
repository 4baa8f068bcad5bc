"""What the DUP document needs of each plan and of the forecast (pure): the plan's phases or steps in rows, when its
last step ends, where it stands on Bovaird's grid, the pilot of its field, and the resources of the three forecast
years by function. The catalogues come in as a ``PlanCatalogue``: the same ones as the plan's text (``phases.csv``,
the kind's ``*_steps.csv``, ``mission_level.yaml``)."""

from __future__ import annotations

from string import Template

import polars as pl

from transforms.plan_catalogue import PlanCatalogue

FORECAST_KINDS = {"stanziamento": 0, "stanziamento_anno_2": 1, "stanziamento_anno_3": 2}
FORECAST_SCHEMA = {
    "body": pl.String,
    "year": pl.Int32,
    "function": pl.String,
    "offset": pl.Int32,
    "titolo": pl.String,
    "cents": pl.Int64,
}


def forecast_totals(lines: pl.DataFrame) -> pl.DataFrame:
    """The appropriations of a forecast's three years (``lines``: budget lines of the ``FORECAST_KINDS``) by function
    (programme, and mission for bodies analysed by mission) and title: ``body, year, function, offset (0-2), titolo,
    cents``."""
    if lines.is_empty():
        return pl.DataFrame(schema=FORECAST_SCHEMA)
    lines = lines.with_columns(offset=pl.col("amount_kind").replace_strict(FORECAST_KINDS, return_dtype=pl.Int32))
    by = ["body", "year", "function", "offset", "titolo"]
    programmes = (
        lines.filter(pl.col("programma").is_not_null())
        .rename({"programma": "function"})
        .group_by(by)
        .agg(cents=pl.col("amount_cents").sum())
    )
    by_mission = (
        lines.rename({"missione": "_m"})
        .with_columns(function=pl.col("_m"))
        .group_by(by)
        .agg(cents=pl.col("amount_cents").sum())
    )
    return pl.concat([programmes, by_mission]).select(list(FORECAST_SCHEMA)).cast(FORECAST_SCHEMA).sort(by)


def phase_rows(plan: dict, lang: str, words: dict, catalogue: PlanCatalogue) -> list[tuple[str, str, str, str]]:
    """The plan's phases (development) or steps (other kinds) as rows: (phase, months, who, activity) in ``lang``; who
    leads a phase is known for a development project's phases (``phases.csv`` › ``owner``), empty otherwise. The
    instruments are named once, in the co-production form, instead of in the phase again."""
    kind = plan["plan_kind"]
    months = words["months"]
    first = catalogue.mission_words["first_step"]
    opening = [
        (
            first[f"label_{lang}"],
            months.format(a=first["months_from"], b=first["months_to"]),
            "",
            first[f"description_{lang}"],
        )
    ]
    if kind == "split":
        return opening
    rows = []
    if kind == "development":
        pilot = pilot_of(plan, lang, catalogue)
        for p in catalogue.csv("phases.csv").iter_rows(named=True):
            activity = Template(p[f"description_{lang}"]).safe_substitute(
                pilot=pilot, instruments=words["instruments_ref"]
            )
            rows.append(
                (p[f"label_{lang}"], months.format(a=p["months_from"], b=p["months_to"]), p[f"owner_{lang}"], activity)
            )
    else:
        allowed = plan.get("coproduction_types" if lang == "it" else "coproduction_types_en") or ""
        for s in catalogue.csv(catalogue.plan_kinds()[kind]["steps"]).iter_rows(named=True):
            if s.get("when", "always") == "coproduction" and not allowed:
                continue
            rows.append(
                (
                    s[f"label_{lang}"],
                    months.format(a=s["months_from"], b=s["months_to"]),
                    "",
                    Template(s[f"description_{lang}"]).safe_substitute(allowed=allowed),
                )
            )
    return opening + rows if plan.get("coarse") else rows


def last_month(plan: dict, catalogue: PlanCatalogue) -> int:
    """When the plan's last step ends (months from the start)."""
    kind = plan["plan_kind"]
    name = "phases.csv" if kind == "development" else catalogue.plan_kinds()[kind]["steps"]
    return (
        max(int(s["months_to"]) for s in catalogue.csv(name).iter_rows(named=True))
        if name
        else int(catalogue.mission_words["first_step"]["months_to"])
    )


def positions_of(plan: dict, lang: str, catalogue: PlanCatalogue) -> tuple[str, str]:
    """Where the service stands on Bovaird's grid today and where the plan takes it, in ``lang`` (the plan stores its
    own)."""
    grid = {
        (r["planners"], r["deliverers"]): r[f"label_{lang}"]
        for r in catalogue.csv("bovaird_grid.csv").iter_rows(named=True)
    }
    return (
        grid.get((plan.get("current_planners"), plan.get("current_deliverers"))) or plan.get("current_position") or "",
        grid.get((plan.get("target_planners"), plan.get("target_deliverers"))) or plan.get("target_position") or "",
    )


def pilot_of(plan: dict, lang: str, catalogue: PlanCatalogue) -> str:
    fields = {r["field"]: r for r in catalogue.fields().iter_rows(named=True)}
    return (fields.get(plan.get("field") or "") or {}).get(f"pilot_{lang}") or ""
