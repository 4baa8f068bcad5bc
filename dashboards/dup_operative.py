"""Sezione Operativa, parte prima: one entry per programme of the restructuring plan, then the other classified
programmes.

Each entry: a record (mission, status, kind of plan, place in the matrix, priority, responsible unit — "da indicare"
until the body names it), the operational objective in one sentence, the resources of the three years (the opening
forecast's appropriations, or "previsione non caricata" in words), the indicators with baseline and target, the
co-production form (or why there is none, by kind of plan) and the phases. Words from ``dup_document.yaml``.
"""

from __future__ import annotations

import polars as pl

from dashboards import docx_parts as parts
from dashboards.dup_inputs import (
    DupInputs,
    mission_names,
    per_capita_words,
    period,
    position,
)
from dashboards.words import label, named
from sources.catalogues import status_labels
from transforms.plan_parts import PARTS
from transforms.figures import euro_words, percent, range_words


def others(inputs: DupInputs) -> pl.DataFrame:
    """Classified service programmes without a plan this cycle: ordinary management."""
    planned = [p["function"] for p in inputs.plans]
    frame = inputs.functions.filter(pl.col("quadrant").is_not_null(), ~pl.col("function").is_in(planned))
    if "kind" in frame.columns:
        frame = frame.filter(pl.col("kind").fill_null("service") == "service")
    return frame.sort("function")


def headings(inputs: DupInputs) -> list[str]:
    """The Sezione Operativa's level-2 headings (the table of contents shows levels 1 and 2)."""
    return [inputs.w["seo_part1"]] + ([inputs.w["seo_others"]] if others(inputs).height else [])


def write(document, inputs: DupInputs) -> None:
    w = inputs.w
    parts.heading(document, w["seo"], 1)
    parts.heading(document, w["seo_part1"], 2)
    parts.paragraph(document, " ".join(w["seo_intro"].split()) if inputs.plans else w["no_plans"])
    ranked = {r["function"]: r for r in inputs.ranked.iter_rows(named=True)}
    for plan in inputs.plans:
        entry(document, inputs, {**plan, **ranked.get(plan["function"], {})}, len(ranked))
    rest = others(inputs)
    if rest.height:
        parts.heading(document, w["seo_others"], 2)
        parts.paragraph(document, " ".join(w["others_intro"].split()))
        _others_table(document, inputs, rest, ranked)


def _label(document, text: str) -> None:
    parts.paragraph(document, [(text, True)], keep_next=True, before_pt=6)


def _first_lower(text: str | None) -> str:
    text = (text or "").strip()
    return text[:1].lower() + text[1:]


def entry(document, inputs: DupInputs, p: dict, n_ranked: int) -> None:
    """One programme's entry, as a planner reads it."""
    w, lang = inputs.w, inputs.lang
    if lang != "it":  # the plan's parts in the document's language (stored in both)
        p = {**p, **{k: p[f"{k}_{lang}"] for k in PARTS if p.get(f"{k}_{lang}") is not None}}
    function, kind = p["function"], p["plan_kind"]
    parts.heading(document, f"{function} {named(p, lang)}", 3)
    mission = function.split(".")[0]
    status = status_labels(lang).get(p.get("status"), p.get("status") or "")
    if lang == "it" and p.get("status_source"):
        status += f" – {p['status_source']}"
    place = (
        w["matrix_place"].format(service_type=p.get(f"service_type_{lang}"), governance=p.get(f"governance_{lang}"))
        if p.get("quadrant")
        else w["not_classified"]
    )
    rows = w["rows"]
    parts.table(
        document,
        None,
        [
            [rows["mission"], f"{mission} {mission_names().get(mission, '')}"],
            [rows["status"], status],
            [rows["kind"], label("plan_kinds", lang).get(kind, kind)],
            [rows["matrix"], place],
            [rows["priority"], position(p, n_ranked, w, lang, reasons=False)],
            [rows["responsible"], inputs.units.get(function) or w["to_be_named"]],
        ],
        [4.6, 12.4],
        label_column=True,
    )
    _label(document, w["objective"])
    parts.paragraph(document, objective(inputs, p))
    if kind == "development":
        parts.paragraph(
            document,
            w["mission_effect"]
            if p.get("coarse")
            else w["start_effect"].format(
                kick_start=euro_words(p.get("kick_start_cents"), lang),
                effect=range_words(p.get("effect_low_cents"), p.get("effect_high_cents"), lang),
            ),
        )
    _label(document, w["resources"])
    resources(document, inputs, function, p.get("total_cents"))
    _label(document, w["indicators"])
    indicators(document, inputs, function)
    _label(document, w["coproduction"])
    coproduction(document, inputs, p)
    _label(document, w["phases"])
    phases(document, inputs, function)


def phases(document, inputs: DupInputs, function: str) -> None:
    """Phase, months, who leads it (when the catalogue says: a development project's phases), activity."""
    rows = inputs.phases.get(function, [])
    header = inputs.w["phase_header"]
    if any(who for _, _, who, _ in rows):
        parts.table(
            document,
            [header[0], header[1], inputs.w["phase_owner"], header[2]],
            [list(r) for r in rows],
            [3.7, 1.5, 3.6, 8.2],
        )
    else:
        parts.table(
            document, header, [[phase, months, activity] for phase, months, _, activity in rows], [3.8, 1.5, 11.7]
        )


def objective(inputs: DupInputs, p: dict) -> str:
    """The operational objective, one sentence by kind of plan."""
    w, lang, kind = inputs.w, inputs.lang, p["plan_kind"]
    sentences = w["operational"]
    spending = euro_words(p.get("total_cents"), lang)
    if kind == "development" and p.get("coarse"):
        return sentences["development_mission"].format(direction=p.get("direction") or "")
    if kind == "development":
        current, target = inputs.positions.get(p["function"]) or (p.get("current_position"), p.get("target_position"))
        return sentences["development"].format(
            current=_first_lower(current), target=_first_lower(target), pilot=inputs.pilots.get(p["function"]) or "-"
        )
    if kind == "delegation":
        return sentences["delegation"].format(
            full_cost=euro_words(p.get("full_cents") or p.get("total_cents"), lang), year=inputs.year
        )
    if kind == "handover":
        return sentences["handover"].format(
            months=inputs.last_months.get(p["function"], 12), spending=spending, year=inputs.year
        )
    if kind == "split":
        return sentences["split"].format(direction=p.get("direction") or "")
    return sentences["maintain"].format(spending=spending, year=inputs.year)


def resources(document, inputs: DupInputs, function: str, reference_cents: int | None) -> None:
    """The appropriations of the three years by title, or in words why they are not there yet."""
    w, lang = inputs.w, inputs.lang
    first, last = period(inputs.year, inputs.phase)
    if inputs.forecast is None:
        parts.paragraph(
            document,
            " ".join(w["no_forecast"].split()).format(
                first=first,
                last=last,
                reference=w["reference"][inputs.phase].format(year=inputs.year),
                spending=euro_words(reference_cents, lang),
            ),
        )
        return
    own = inputs.forecast.filter(pl.col("function") == function)
    cents = {(t, o): c for t, o, c in own.select("titolo", "offset", "cents").iter_rows()}
    names = w["resource_rows"]
    rows = [[names[t], *[euro_words(cents.get((t, o), 0), lang) for o in range(3)]] for t in ("1", "2")]
    rows.append([names["total"], *[euro_words(sum(cents.get((t, o), 0) for t in ("1", "2")), lang) for o in range(3)]])
    parts.table(
        document, [w["resource_header"], *[str(y) for y in inputs.years]], rows, [5.6, 3.8, 3.8, 3.8], right=(1, 2, 3)
    )
    parts.paragraph(document, w["forecast_source"].format(first=first, last=last), size=8)


def indicators(document, inputs: DupInputs, function: str) -> None:
    w, lang = inputs.w, inputs.lang
    units = w.get("units") or {}
    rows = []
    for k in inputs.kpis.get(function, []):
        name = k["label"] if lang == "it" else k.get("label_en") or k["label"]
        data = k["data_needed"] if lang == "it" else k.get("data_needed_en") or k["data_needed"]
        if k["baseline"] is None:
            baseline = w["to_collect"].format(data=data)
        elif k["format"] == "eur":
            baseline = per_capita_words(k["baseline"], lang)
        else:
            baseline = percent(k["baseline"], lang)
        rows.append(
            [name, units.get(k["unit"], k["unit"]) or "", baseline, w["direction"].get(k["direction"], k["direction"])]
        )
    parts.table(document, w["indicator_header"], rows, [5.4, 2.0, 6.8, 2.8])
    parts.paragraph(document, w["target_note"], size=8)


def coproduction(document, inputs: DupInputs, p: dict) -> None:
    """The co-production form with its actors and instruments, or in words why the kind of plan has none."""
    w, kind = inputs.w, p["plan_kind"]
    types = p.get("coproduction_types") or ""
    if kind not in ("development", "delegation") or not types:
        parts.paragraph(document, w["no_coproduction"][kind])
        return
    names = w["coproduction_rows"]
    form = types if kind == "development" else w["within_delegation"].format(types=types)
    values = [
        form,
        p.get("coproduction_why"),
        p.get("actors"),
        p.get("instruments"),
        p.get("cases") if kind == "development" else None,
    ]
    parts.table(document, None, [[n, v] for n, v in zip(names, values) if v], [4.6, 12.4], label_column=True)


def _others_table(document, inputs: DupInputs, rest: pl.DataFrame, ranked: dict) -> None:
    w, lang = inputs.w, inputs.lang
    header = list(w["others_header"])
    rows = []
    for r in rest.iter_rows(named=True):
        place = ranked.get(r["function"])
        priority = w["rank_short"].format(rank=place["rank"], tier=place.get(f"tier_{lang}") or "") if place else "-"
        row = [r["function"], named(r, lang), priority, inputs.units.get(r["function"]) or w["to_be_named"]]
        if inputs.forecast is None:
            row.append(euro_words(r.get("total_cents"), lang))
        else:
            own = inputs.forecast.filter(pl.col("function") == r["function"])
            row += [euro_words(own.filter(pl.col("offset") == o)["cents"].sum(), lang) for o in range(3)]
        rows.append(row)
    if inputs.forecast is None:
        first, _ = period(inputs.year, inputs.phase)
        header.append(f"{w['resource_header']} {inputs.year}")
        parts.table(document, header, rows, [1.6, 5.9, 3.2, 3.3, 3.0], right=(4,))
        note = w["no_forecast_short"].format(
            first=first, reference=w["reference"][inputs.phase].format(year=inputs.year)
        )
        parts.paragraph(document, note, size=8)
    else:
        parts.table(
            document,
            header + [str(y) for y in inputs.years],
            rows,
            [1.5, 4.1, 2.4, 2.5, 2.15, 2.15, 2.2],
            right=(4, 5, 6),
            size=8,
        )
