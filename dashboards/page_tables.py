"""The dashboard pages' words (``data/dashboard_words.yaml``) and the sections they show as tables: the numbers a
chart draws (its text alternative), the peers, spending mission by mission, the comparison with BDAP, the co-assessment
and what changed since the previous year. Each returns what the page template needs, or None when there is nothing.
"""

from __future__ import annotations

import polars as pl
import yaml

from dashboards.charts import TIP_WORDS
from dashboards.page_charts import CLASS_IT
from dashboards.words import label, named, peer_rule, peer_values, peers_lacking
from sources.findings import words as finding_words
from sources.reference import DATA_DIR, body_name, missions

TEXT = yaml.safe_load((DATA_DIR / "dashboard_words.yaml").read_text(encoding="utf-8"))  # it and en, same keys


def euro_text(cents, lang: str) -> str:
    if cents is None:
        return ""
    text = f"{cents / 100:,.2f} €"
    return text.replace(",", "_").replace(".", ",").replace("_", ".") if lang == "it" else text


def share_text(value) -> str:
    return "" if value is None else f"{value:.0%}"


def chart_table(
    name: str, functions: pl.DataFrame, ranked: pl.DataFrame, moved: pl.DataFrame, lang: str
) -> dict | None:
    """The numbers a chart draws, as a table: its text alternative (the matrix's is the functions table below it)."""
    w = TIP_WORDS[lang]
    if name == "priorities" and ranked.height:
        rows = ranked.sort("rank").select("rank", "function", "score", "tier").rows()
        return {
            "header": ["#", w["function"], w["points"], w["tier"]],
            "rows": [[r, f, f"{s:.1f}", tr] for r, f, s, tr in rows],
        }
    if name == "composition":
        data = functions.filter(pl.col("total_cents") > 0).sort("function")
        header = [
            w["function"],
            *[CLASS_IT[c] if lang == "it" else c for c in ("operating", "transfer", "financial")],
            "rigida" if lang == "it" else "rigid",
        ]
        return {
            "header": header,
            "rows": [
                [
                    r["function"],
                    share_text(r["operating_share"]),
                    share_text(r["transfer_share"]),
                    share_text(r["financial_share"]),
                    share_text(r["rigid_share"]),
                ]
                for r in data.iter_rows(named=True)
            ],
        }
    if name == "peers" and ranked.height:
        data = ranked.filter(pl.col("peer_median_eur").is_not_null()).sort("function")
        return {
            "header": [w["function"], w["per_capita_eur"], w["peer_median_eur"], w["peer_list"]],
            "rows": [
                [
                    r["function"],
                    euro_text(round(r["per_capita_eur"] * 100), lang),
                    euro_text(round(r["peer_median_eur"] * 100), lang),
                    peer_values(r, lang),
                ]
                for r in data.iter_rows(named=True)
            ],
        }
    if name == "movement" and moved.height:
        return {
            "header": [w["function"], w["transfer_share"], w["authority"]],
            "rows": [
                [
                    r["function"],
                    f"{share_text(r['transfer_before'])} → {share_text(r['transfer_share'])}",
                    f"{r['authority_before']:.2f} → {r['authority']:.2f}",
                ]
                for r in moved.sort("function").iter_rows(named=True)
            ],
        }
    return None


def peers_section(ranked: pl.DataFrame, group: pl.DataFrame | None, lang: str) -> dict:
    """Who the peers are and how they were chosen; per function the peers' values beside the median, who lacks it and
    why."""
    group = group if group is not None and group.height else None
    rule = peer_rule(
        group["rule"][0] if group is not None else None, group["band"][0] if group is not None else None, lang
    )
    if group is None:
        return {"text": label("peers_none", lang).format(rule=rule)}
    names = ", ".join(body_name(p) for p in sorted(group["peer"]))
    rows = [
        [
            r["function"],
            named(r, lang),
            euro_text(round(r["per_capita_eur"] * 100), lang) if r.get("per_capita_eur") is not None else "",
            euro_text(round(r["peer_median_eur"] * 100), lang) if r.get("peer_median_eur") is not None else "",
            peer_values(r, lang),
            peers_lacking(r, lang),
        ]
        for r in ranked.sort("function").iter_rows(named=True)
    ]
    return {
        "text": label("peers_group", lang).format(rule=rule, names=names),
        "table": {"header": label("peers_header", lang), "rows": rows, "numeric": (2, 3)},
    }


def mission_movement_section(moves: pl.DataFrame | None, lang: str) -> dict | None:
    """Spending and transfer share mission by mission against the previous year, when one of the two years has mission
    totals only (``core.mission_movement``); None without such a pair."""
    if moves is None or moves.is_empty():
        return None
    first = moves.row(0, named=True)
    before, now = first["year_before"], first["year"]
    level = label("detail_levels", lang)
    names = dict(zip(missions()["code"], missions()["name"]))
    rows = [
        [
            r["function"],
            names.get(r["function"]) or "",
            euro_text(r["spending_before_cents"], lang),
            euro_text(r["spending_cents"], lang),
            "" if r["change"] is None else f"{r['change']:+.0%}".replace(".", ","),
            f"{share_text(r['transfer_before']) or 'n.d.'} → {share_text(r['transfer_share']) or 'n.d.'}",
        ]
        for r in moves.sort("function").iter_rows(named=True)
    ]
    text = label("mission_movement", lang).format(
        before=before, after=now, detail_before=level[first["detail_before"]], detail_after=level[first["detail_now"]]
    )
    header = [h.format(before=before, after=now) for h in label("mission_movement_header", lang)]
    return {"text": text, "table": {"header": header, "rows": rows, "numeric": (2, 3, 4)}}


def reconciliation_section(table: pl.DataFrame | None, tolerance: dict, lang: str) -> dict | None:
    """The comparison with the BDAP extract of the same body, year and phase (``core.bdap_reconciliation``); None
    without one."""
    if table is None or table.is_empty() or "within_tolerance" not in table.columns:
        return None
    t, named = TEXT[lang], finding_words()
    off = table.filter(~pl.col("within_tolerance")).sort(pl.col("difference_cents").abs(), descending=True)
    first = table.row(0, named=True)
    share = f"{tolerance['share'] * 100:g} %"
    values = {
        "own_file": first["own_file"] or "",
        "bdap_file": first["bdap_file"] or "",
        "compared": table.height,
        "differences": off.height,
        "tolerance": euro_text(round(tolerance["absolute_eur"] * 100), lang) + f" / {share}",
        "absolute": euro_text(round(tolerance["absolute_eur"] * 100), lang),
        "share": share.replace(".", ",") if lang == "it" else share,
    }
    rows = [
        [
            named["dimension"][r["level"]][lang],
            r["code"],
            named["kind"].get(r["amount_kind"], {}).get(lang, r["amount_kind"]),
            euro_text(r["own_cents"], lang),
            euro_text(r["bdap_cents"], lang),
            euro_text(r["difference_cents"], lang),
            euro_text(r["allowed_cents"], lang),
        ]
        for r in off.iter_rows(named=True)
    ]
    text = t["reconciliation_differ"] if rows else t["reconciliation_agree"]
    return {
        "id": "bdap",
        "heading": t["reconciliation"],
        "text": text.format(**values),
        "header": t["reconciliation_header"],
        "rows": rows,
        "numeric_from": 3,
    }


def ratings_section(stats: pl.DataFrame | None, functions: pl.DataFrame, lang: str) -> dict | None:
    """Co-assessment beside the matrix: n, mean and 95 % t interval per function and respondent type."""
    if stats is None or stats.is_empty():
        return None
    words = label("respondent_types", lang)
    names = dict(zip(functions["function"], functions["name"].fill_null(""))) if "name" in functions.columns else {}

    def cell(r, scale):
        if r[f"mean_{scale}"] is None:
            return ""
        text = f"{r[f'mean_{scale}']:.1f}" + (
            f" ({r[f'low_{scale}']:.1f}–{r[f'high_{scale}']:.1f})" if r[f"low_{scale}"] is not None else ""
        )
        return text.replace(".", ",") if lang == "it" else text

    rows = [
        [
            r["function"],
            names.get(r["function"], ""),
            {**words, "tutti": label("all_respondents", lang)}.get(r["respondent_type"], ""),
            str(r["n_quality"]),
            cell(r, "quality"),
            cell(r, "accessibility"),
            cell(r, "willingness"),
            "" if r["enough_quality"] else label("few_ratings", lang),
        ]
        for r in stats.iter_rows(named=True)
    ]
    return {
        "id": "ratings",
        "heading": label("ratings_title", lang),
        "text": label("ratings_subtitle", lang) + ".",
        "header": label("ratings_header", lang),
        "rows": rows,
        "numeric_from": 3,
    }


def changes_section(changes, lang: str) -> dict | None:
    """What changed since the body's previous year (``pipelines.changes.Changes``), as a table section of the page."""
    if changes is None:
        return None
    t = TEXT[lang]
    rows = [
        [
            r["function"],
            r["name"],
            t["change_kinds"].get(r["change"], r["change"]),
            r["before"],
            r["after"],
            r["reason"],
        ]
        for r in changes.rows.iter_rows(named=True)
    ]
    return {
        "id": "changes",
        "heading": changes.title,
        "text": changes.note,
        "header": t["changes_header"],
        "rows": rows,
        "numeric_from": None,
    }
