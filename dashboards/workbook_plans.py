"""The workbook's plan sheets: Piano di riassetto and Scenari."""

from __future__ import annotations

import polars as pl

from dashboards.words import (
    named,
)
from dashboards.workbook_sheet import Sheet, page_heading, wrapped_height
from transforms.plan_parts import PARTS
from transforms.figures import range_words


def plan_sheet(workbook, fmt, inputs):
    t, lang = inputs.t, inputs.lang
    s = Sheet(workbook, t("plan"), fmt, [30, 110], inputs)
    s.title(t("plan_title"), page_heading(inputs))
    names = (
        dict(zip(inputs.logic_names["code"], inputs.logic_names[f"name_{lang}"]))
        if inputs.logic_names is not None
        else {}
    )
    labels, kinds = t("plan_rows"), t("plan_kinds")
    for p in inputs.projects.iter_rows(named=True):
        if lang != "it":  # the plan's parts in the report's language (stored in both)
            p = {**p, **{k: p[f"{k}_{lang}"] for k in PARTS if p.get(f"{k}_{lang}") is not None}}
        s.line(f"{p['function']} {p.get('name') or ''}", style="bold")
        develop = p.get("plan_kind", "development") == "development"
        rows = [
            (labels[12], kinds.get(p.get("plan_kind") or "development", "")),
            (labels[13], p.get("coproduction_why")),
            (labels[14], p.get("actors")),
            (labels[4], p.get("instruments")),
            (labels[6], p.get("phases_text")),
            (labels[7], p.get("risks_text")),
        ]
        if develop:
            rows[2:2] = [
                (labels[0], p.get("current_position")),
                (labels[1], p.get("target_position")),
                (labels[2], ", ".join(names.get(x, x) for x in p["logics"]) + f" ({p.get('logic_reasons') or ''})"),
                (labels[3], p.get("coproduction_types")),
                (labels[5], p.get("cases")),
            ]
        for name, text in rows:
            s.ws.write_string(s.row, 0, name, fmt["bold"])
            s.ws.write_string(s.row, 1, text or "", fmt["wrap"])
            s.ws.set_row(s.row, wrapped_height(text or "", 110))
            s.row += 1
        if p.get("coarse"):  # a mission total: a direction, no euro (first step: programme detail, in the phases)
            rows = [(labels[15], p.get("direction"))] + ([(labels[9], t("mission_effect"))] if develop else [])
            for name, text in rows:
                s.ws.write_string(s.row, 0, name, fmt["bold"])
                s.ws.write_string(s.row, 1, text or "", fmt["wrap"])
                s.ws.set_row(s.row, wrapped_height(text or "", 110))
                s.row += 1
        elif develop:
            s.ws.write_string(s.row, 0, labels[8], fmt["bold"])
            s.ws.write_number(
                s.row, 1, round(p["kick_start_cents"] / 100, -3), fmt["euro"]
            )  # a planner's figure: to the thousand
            s.row += 1
            s.ws.write_string(s.row, 0, labels[9], fmt["bold"])
            s.ws.write_string(s.row, 1, range_words(p["effect_low_cents"], p["effect_high_cents"], lang), fmt["wrap"])
            s.row += 1
        for k in inputs.kpis.filter(pl.col("function") == p["function"]).iter_rows(named=True):
            s.ws.write_string(
                s.row, 0, f"{labels[10]}: {k.get(f'label_{lang}') or k['label']} ({k.get('unit') or ''})", fmt["bold"]
            )
            if k["baseline"] is None:
                s.ws.write_string(
                    s.row,
                    1,
                    f"{t('kpi_unknown')} ({k.get(f'data_needed_{lang}') or k.get('data_needed') or ''})",
                    fmt["wrap"],
                )
            else:
                s.ws.write_number(s.row, 1, k["baseline"], fmt["num" if k["format"] == "eur" else "pct"])
            s.row += 1
        s.ws.write_string(s.row, 0, labels[11], fmt["bold"])
        for paragraph in (x for x in p["dup_text"].split("\n\n") if x.strip()):  # one row each: rows stop at 409 points
            s.ws.write_string(s.row, 1, paragraph, fmt["wrap"])
            s.ws.set_row(s.row, min(wrapped_height(paragraph, 110), 409))
            s.row += 1
        s.row += 1


def scenarios_sheet(workbook, fmt, inputs):
    """Side by side: one column per scenario, one row per projected year, every one over the same functions; then each
    scenario's difference from the Base, function by function (parameters in the Metodo sheet)."""
    if "scenario" not in inputs.scenarios.columns:  # the year's scenarios not computed yet (a first upload's fast run)
        s = Sheet(workbook, inputs.t("scenarios"), fmt, [110], inputs)
        s.title(inputs.t("scenarios_title"), inputs.t("scenarios_pending"))
        return
    t = inputs.t
    names = ["base", *sorted(n for n in inputs.scenarios["scenario"].unique().to_list() if n != "base")]
    s = Sheet(workbook, t("scenarios"), fmt, [12, 30] + [20] * len(names), inputs, wrap=tuple(range(1, 2 + len(names))))
    s.title(t("scenarios_title"), t("scenarios_subtitle"))
    if inputs.phase == "rendiconto":  # a closed year: what the plans would have changed
        s.note(
            t("scenarios_ex_post").format(year=inputs.year, next=inputs.year + 1)
            + " "
            + (
                t("scenarios_next_forecast").format(next=inputs.year + 1, file=inputs.next_forecast)
                if inputs.next_forecast
                else t("scenarios_no_forecast").format(next=inputs.year + 1)
            ),
            style="wrap",
        )
    functions = inputs.scenarios["functions"].max() if "functions" in inputs.scenarios.columns else None
    if functions:
        s.note(t("scenarios_same_set").format(n=functions), style="wrap")
    s.row += 1
    labels = [t("baseline") if n == "base" else inputs.scenario_labels.get(n, n) for n in names]
    s.header(t("year"), t("functions_compared"), *labels)
    wide = inputs.scenarios.pivot(on="scenario", index="projected_year", values="total_cents").sort("projected_year")
    for r in wide.iter_rows(named=True):
        s.line(
            (r["projected_year"], "int"), (functions, "int") if functions else "", *[(r.get(n), "euro") for n in names]
        )
    per_function = inputs.scenario_functions
    if per_function is None or per_function.is_empty():
        return
    last = per_function["projected_year"].max()
    s.row += 1
    s.note(t("scenarios_by_function").format(year=last))
    s.header(t("code"), t("function_word"), *labels)
    rows = {r["function"]: r for r in inputs.functions.iter_rows(named=True)}
    at_end = per_function.filter(pl.col("projected_year") == last)
    base = dict(at_end.select("function", "baseline_cents").unique("function").iter_rows())
    for function in sorted(base):
        row_of = rows.get(function, {"function": function})
        cells = [function, named(row_of, inputs.lang), (base[function], "euro")]
        for name in names[1:]:
            row = at_end.filter(pl.col("scenario") == name, pl.col("function") == function)
            if not (row.height and row["in_plan"][0]):
                cells.append(t("not_in_plan"))
            elif row_of.get("coarse"):  # a mission total: the plan has a direction, no euro effect
                cells.append(t("effect_by_mission"))
            else:
                cells.append((row["with_plan_cents"][0] - base[function], "euro"))
        s.line(*cells)
    s.note(t("scenarios_difference_note"), style="wrap")
