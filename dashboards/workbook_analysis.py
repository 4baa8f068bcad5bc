"""The workbook's analysis sheets: Sintesi, what changed, Matrice, Valutazioni, Priorità, Indicatori, Enti simili,
Analisi strategica."""

from __future__ import annotations

import io

import polars as pl

from dashboards.words import (
    indicator_missing,
    label,
    named,
    peer_rule,
    peer_shares,
    peer_values,
    peers_lacking,
)
from dashboards.workbook_sheet import STATUS, Sheet, page_heading
from sources.catalogues import flag_labels, indicator_catalogue
from sources.reference import body_name, missions
from transforms.amounts import format_euro
from transforms.figures import percent


def summary_sheet(workbook, fmt, inputs):
    t, lang = inputs.t, inputs.lang
    s = Sheet(workbook, t("summary"), fmt, [60, 18, 18, 70], inputs)
    s.title(t("summary"), page_heading(inputs))
    if inputs.open_data:
        s.note(t("open_data_note").format(files=inputs.open_data))
        s.row += 1
    b = inputs.body_figures
    s.line(t("spending_t12"), (b.get("total_cents"), "euro"))
    s.line(t("per_capita"), (b.get("per_capita_eur"), "num"))
    s.line(t("rigidity"), (b.get("rigidity_share"), "pct"))
    s.line(t("staff"), (b.get("staff_share"), "pct"))
    s.line(t("debt_service"), (b.get("debt_service_share"), "pct"))
    s.line(t("transfer_share"), (b.get("transfer_share"), "pct"))
    s.row += 1
    s.line(t("by_quadrant"), t("functions"), t("spending"), style="bold")
    technical = (pl.col("kind") == "technical") if "kind" in inputs.functions.columns else pl.lit(False)
    group = (
        pl.when(technical).then(pl.lit("~technical")).otherwise(pl.col("quadrant"))
    )  # outside the matrix at every detail
    counts = (
        inputs.functions.group_by(group.alias("quadrant"))
        .agg(n=pl.len(), spend=pl.col("total_cents").sum())
        .sort("quadrant", nulls_last=True)
    )
    for quadrant, n, spend in counts.iter_rows():
        if quadrant == "~technical":
            name = t("technical_outside")
        else:
            name = (
                inputs.functions.filter(pl.col("quadrant") == quadrant)[f"service_type_{lang}"].first()
                if quadrant
                else t("not_classified")
            )
        s.line(name or quadrant, (n, "int"), (spend, "euro"))
    s.row += 1
    s.line(t("top"), style="bold")
    for r in inputs.ranked.head(5).iter_rows(named=True):
        s.line(
            f"{r['rank']}. {r['function']} {named(r, inputs.lang)}",
            (r["score"], "score"),
            r[f"tier_{lang}"],
            r[f"reasons_{lang}"] or "",
        )
    s.row += 1
    for kind, n in plan_counts(
        inputs.projects
    ).items():  # development projects, mission-level ones and hand-over plans apart
        s.line(t("plan_counts")[kind], (n, "int"))


def plan_counts(projects: pl.DataFrame) -> dict[str, int]:
    """How many plans of each kind: ``development`` (programme level), ``development_mission`` (to complete with
    programme detail first), ``maintain``, ``delegation``, ``handover``, ``split``."""
    kinds = ("development", "development_mission", "maintain", "delegation", "handover", "split")
    if projects.is_empty():
        return dict.fromkeys(kinds, 0)
    coarse = pl.col("coarse").fill_null(False) if "coarse" in projects.columns else pl.lit(False)
    kind = (
        pl.when((pl.col("plan_kind") == "development") & coarse)
        .then(pl.lit("development_mission"))
        .otherwise(pl.col("plan_kind"))
    )
    counted = dict(projects.group_by(kind.alias("k")).len().iter_rows())
    return {k: int(counted.get(k, 0)) for k in kinds}


def matrix_sheet(workbook, fmt, inputs):
    t, lang = inputs.t, inputs.lang
    s = Sheet(workbook, t("matrix"), fmt, [7, 30, 11, 16, 13, 9, 18, 20, 8, 48, 22], inputs)
    s.title(t("matrix_title"), page_heading(inputs))
    s.header(*t("matrix_header"))
    for r in inputs.functions.sort(pl.col("quadrant").is_null(), "function").iter_rows(named=True):
        s.line(
            r["function"],
            named(r, inputs.lang),
            STATUS[lang].get(r.get("status"), r.get("status") or ""),
            (r["total_cents"], "euro"),
            (r.get("transfer_share"), "pct"),
            (r.get("authority"), "num"),
            r.get(f"service_type_{lang}") or "",
            r.get(f"governance_{lang}") or "",
            t("yes_word") if r.get("borderline") else "",
            r.get(f"explanation_{lang}") or "",
            r.get("override_note") or "",
        )
    s.autofilter(11)
    if inputs.chart_png:  # below the table, on a page of its own: the table's header stays frozen at the top
        s.row += 1
        s.ws.set_h_pagebreaks([s.row])
        s.note(t("matrix_chart"), "title", size=14)
        s.ws.insert_image(
            s.row, 0, "matrice.png", {"image_data": io.BytesIO(inputs.chart_png), "x_scale": 0.85, "y_scale": 0.85}
        )


def priorities_sheet(workbook, fmt, inputs):
    t, lang = inputs.t, inputs.lang
    s = Sheet(workbook, t("priorities"), fmt, [6, 7, 28, 8, 14, 9, 9, 9, 9, 9, 9, 48, 36, 40], inputs)
    s.title(t("priorities_title"), t("priorities_subtitle"))
    s.header(*t("priorities_header"))
    for r in inputs.ranked.iter_rows(named=True):
        s.line(
            (r["rank"], "int"),
            r["function"],
            named(r, inputs.lang),
            (r["score"], "score"),
            r[f"tier_{lang}"],
            *[
                (r.get(f"c_{c}"), "num")
                for c in ("size", "manoeuvrability", "transformation", "peer_gap", "trend", "status")
            ],
            r[f"reasons_{lang}"] or "",
            "; ".join(flag_labels(lang).get(f, f) for f in r["flags"] or []),
            peer_figure(r, lang),
        )
    s.autofilter(14)


def peer_figure(row: dict, lang: str) -> str:
    """The peers' median with the peers and their values beside it (empty without peers)."""
    if row.get("peer_median_eur") is None:
        return ""
    median = format_euro(round(row["peer_median_eur"] * 100), lang)
    return f"{label('peer_median', lang)} {median}: {peer_values(row, lang)}"


def indicators_sheet(workbook, fmt, inputs):
    """The execution indicators of the body, then of each programme: the share, its numerator and denominator, and why
    an empty one is empty (the amount kind is not in the files, or nothing to divide by), never a 0 that is not
    there."""
    t, lang = inputs.t, inputs.lang
    found = inputs.indicators if inputs.indicators is not None and inputs.indicators.height else None
    s = Sheet(workbook, t("indicators_title"), fmt, [12, 44, 11, 17, 17, 58], inputs)
    s.title(t("indicators_sheet_title"), t("indicators_sheet_subtitle"))
    if found is None:
        s.note(t("indicators_none"), style="wrap")
        return
    catalogue = {r["indicator"]: r for r in indicator_catalogue().iter_rows(named=True)}
    order = {k: i for i, k in enumerate(catalogue)}  # the catalogue's order, as the page shows them
    found = found.with_columns(
        _order=pl.col("indicator").replace_strict(order, default=99, return_dtype=pl.Int32)
    ).sort("code", "_order")
    s.header(*t("indicators_header"))
    for r in found.filter(pl.col("detail") == "body").iter_rows(named=True):
        row = catalogue[r["indicator"]]
        shown = r["missing"] is None  # an empty indicator shows no figures: a 0 that is not in the files would mislead
        s.line(
            "",
            row[f"label_{lang}"],
            (r["value"], "pct") if shown else "",
            (r["numerator_cents"], "euro") if shown else "",
            (r["denominator_cents"], "euro") if shown else "",
            indicator_missing(r["missing"], lang) or row["reference"],
        )
    standing = (
        inputs.indicator_peers.filter(pl.col("detail") == "body")
        if inputs.indicator_peers is not None and inputs.indicator_peers.height
        else None
    )
    if standing is not None and standing.height:
        s.row += 1
        s.header(*t("indicators_peers_header"))
        for r in sorted(standing.iter_rows(named=True), key=lambda r: order.get(r["indicator"], 99)):
            s.line(
                "",
                catalogue[r["indicator"]][f"label_{lang}"],
                (r["value"], "pct"),
                (r["peer_median"], "pct"),
                t("indicators_quartiles").format(q1=percent(r["peer_q1"], lang), q3=percent(r["peer_q3"], lang)),
                peer_shares(r["peer_bodies"], r["peer_values"], lang),
            )
    functions = found.filter(pl.col("detail") == "function", pl.col("value").is_not_null())
    if functions.height:
        s.row += 1
        s.header(*t("indicators_function_header"))
        medians = (
            {}
            if standing is None
            else {
                (r["code"], r["indicator"]): r
                for r in inputs.indicator_peers.filter(pl.col("detail") == "function").iter_rows(named=True)
            }
        )
        for r in functions.iter_rows(named=True):
            peers = medians.get((r["code"], r["indicator"]))
            among = (
                t("indicators_function_peers").format(median=percent(peers["peer_median"], lang), peers=peers["peers"])
                if peers
                else ""
            )
            s.line(
                r["code"],
                catalogue[r["indicator"]][f"label_{lang}"],
                (r["value"], "pct"),
                (r["numerator_cents"], "euro"),
                (r["denominator_cents"], "euro"),
                among,
            )
        s.autofilter(6)


def peers_sheet(workbook, fmt, inputs):
    """Who the peers are (the rule chosen), and for every ranked function their values, who lacks it and why."""
    t, lang = inputs.t, inputs.lang
    s = Sheet(workbook, t("peers_title"), fmt, [7, 30, 13, 13, 52, 52], inputs)
    s.title(t("peers_sheet_title"), t("peers_sheet_subtitle"))
    group = inputs.peer_group if inputs.peer_group is not None else pl.DataFrame()
    rule = peer_rule(group["rule"][0] if group.height else None, group["band"][0] if group.height else None, lang)
    names = ", ".join(body_name(p) for p in sorted(group["peer"])) if group.height else ""
    s.note(
        t("peers_group").format(rule=rule, names=names) if names else t("peers_none").format(rule=rule), style="wrap"
    )
    if not group.height:
        return
    s.row += 1
    s.header(*t("peers_header"))
    for r in inputs.ranked.sort("function").iter_rows(named=True):
        median = r.get("peer_median_eur")
        s.line(
            r["function"],
            named(r, inputs.lang),
            (r.get("per_capita_eur"), "num"),
            (median, "num") if median is not None else "",
            peer_values(r, lang),
            peers_lacking(r, lang),
        )
    s.autofilter(6)


def strategy_sheet(workbook, fmt, inputs):
    t = inputs.t
    s = Sheet(workbook, t("strategy"), fmt, [7, 16, 24, 34, 34, 52, 9], inputs)
    s.title(t("strategy_title"), t("strategy_subtitle"))
    s.header(*t("strategy_header"))
    if inputs.strategy is not None:
        for r in inputs.strategy.iter_rows(named=True):
            s.line(
                r["function"],
                r.get("field_name") or r.get("field") or "",
                r["actor"],
                r["resources"],
                r["delivery_mode"],
                r.get("modes") or "",
                r["source"],
            )
    s.autofilter(7)


def changes_sheet(workbook, fmt, inputs):
    """Cosa è cambiato rispetto all'anno precedente: quadrant, tier, flags and plan changes, each with its reason."""
    changes = inputs.changes
    if changes is None:
        return
    s = Sheet(workbook, inputs.t("changes"), fmt, [10, 34, 16, 26, 26, 70], inputs)
    s.title(changes.title, changes.note)
    if (
        inputs.mission_moves is not None and inputs.mission_moves.height
    ):  # a year of other detail: compared mission by mission
        mission_moves(s, inputs)
    if changes.rows.is_empty():
        return
    s.header(*inputs.t("changes_header"))
    kinds = inputs.t("change_kinds")
    for r in changes.rows.iter_rows(named=True):
        s.line(r["function"], r["name"], kinds.get(r["change"], r["change"]), r["before"], r["after"], r["reason"])
    s.autofilter(6)


def mission_moves(s: Sheet, inputs) -> None:
    """Spending and transfer share mission by mission against a year of other detail (core.mission_movement)."""
    moves, lang = inputs.mission_moves.sort("function"), inputs.lang
    first = moves.row(0, named=True)
    before, now = first["year_before"], first["year"]
    levels = label("detail_levels", lang)
    s.note(
        label("mission_movement", lang).format(
            before=before,
            after=now,
            detail_before=levels[first["detail_before"]],
            detail_after=levels[first["detail_now"]],
        ),
        style="wrap",
    )
    s.header(*[h.format(before=before, after=now) for h in label("mission_movement_header", lang)])
    names = dict(zip(missions()["code"], missions()["name"]))
    for r in moves.iter_rows(named=True):
        shares = " → ".join("n.d." if v is None else f"{v:.0%}" for v in (r["transfer_before"], r["transfer_share"]))
        s.line(
            r["function"],
            names.get(r["function"], ""),
            (r["spending_before_cents"], "euro"),
            (r["spending_cents"], "euro"),
            (r["change"], "pct"),
            shares,
        )
    s.row += 1


def ratings_sheet(workbook, fmt, inputs):
    """What users and Third Sector bodies say of each function: n, mean and interval per scale, small samples
    flagged."""
    t = inputs.t
    s = Sheet(workbook, t("ratings"), fmt, [9, 36, 24, 6, 18, 18, 22, 4, 28], inputs)
    s.title(t("ratings_title"), t("ratings_subtitle"))
    stats = inputs.ratings
    if stats is None or stats.is_empty():
        s.line(t("no_ratings"))
        return
    header = t("ratings_header")
    s.header(*header[:7], "", header[7])  # a narrow empty column keeps the last figure apart from the note
    names = (
        dict(zip(inputs.functions["function"], inputs.functions["name"].fill_null("")))
        if "name" in inputs.functions.columns
        else {}
    )
    types = {**t("respondent_types"), "tutti": t("all_respondents")}

    def cell(r, scale):
        if r[f"mean_{scale}"] is None:
            return ""
        text = f"{r[f'mean_{scale}']:.1f}" + (
            f" ({r[f'low_{scale}']:.1f}-{r[f'high_{scale}']:.1f})" if r[f"low_{scale}"] is not None else ""
        )
        return text.replace(".", ",") if inputs.lang == "it" else text

    for r in stats.iter_rows(named=True):
        s.line(
            r["function"],
            names.get(r["function"], ""),
            types.get(r["respondent_type"], r["respondent_type"]),
            (r["n_quality"], "int"),
            (cell(r, "quality"), "right"),
            (cell(r, "accessibility"), "right"),
            (cell(r, "willingness"), "right"),
            "",
            "" if r["enough_quality"] else t("few_ratings"),
        )
    s.autofilter(9)
