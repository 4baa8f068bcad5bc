"""Replacements an officer sees and confirms: the rules (``data/replacement.yaml``), the national figures they use,
and the comparison in words for the portal and the command line (the logic is ``transforms.replacement``).

A file that would replace the one in use for the same body, year and phase is compared with it when it is
received (``sources.receipts.register``, under the register's lock, so concurrent uploads compare with the
right predecessor). A replacement that would make the data worse is held until the body's officer confirms it.
"""

from __future__ import annotations

from functools import cache

import polars as pl
import yaml

from sources.plausibility import rules as plausibility_rules
from sources.reference import DATA_DIR, bodies, missions, titles
from transforms import replacement as logic
from transforms.amounts import format_euro


@cache
def rules() -> dict:
    return yaml.safe_load((DATA_DIR / "replacement.yaml").read_text(encoding="utf-8"))


@cache
def _body_facts() -> dict[str, tuple[int | None, str, str]]:
    """body -> (census population, ISTAT type code, type name)."""
    table = bodies().select("istat_code", "population_census2011", "uts_type_code", "uts_type")
    return {code: (int(pop) if pop else None, kind, name) for code, pop, kind, name in table.iter_rows()}


def summarise(lines: pl.DataFrame, table: str = "budget") -> dict[str, dict]:
    """The summary of a file's canonical lines per partition (``transforms.replacement.summarise``)."""
    population = {code: facts[0] for code, facts in _body_facts().items() if facts[0]}
    return logic.summarise(lines, plausibility_rules()["basis"], population, table)


def typical_per_inhabitant(body: str) -> float | None:
    """What a body of this type spends per inhabitant nationally (plausibility.yaml), or None when not known."""
    facts = _body_facts().get(body)
    return plausibility_rules()["typical_per_inhabitant"].get(facts[1]) if facts else None


def compare(before: dict, after: dict) -> dict:
    """The comparison of two summaries of the same partition, with the reasons the new one would be worse."""
    found = logic.compare(before, after, rules(), typical_per_inhabitant(after["body"]))
    for reason in found["reasons"]:
        if reason["code"] == "per_inhabitant_out":  # ISTAT's own name of the type, for the words
            reason["params"]["body_type"] = _body_facts().get(after["body"], (None, "", ""))[2]
    return found


# --- words -----------------------------------------------------------------------------------------------------------

DETAIL_WORDS = {
    "programma": ("per programma", "by programme"),
    "missione": ("per missione", "by mission"),
    "titolo": ("per titolo", "by title"),
}


def _percent(share: float, lang: str) -> str:
    """+12,5 % / -94 % (whole numbers when the share is round or large)."""
    value = share * 100
    text = f"{value:+.0f} %" if abs(value) >= 10 or value == round(value) else f"{value:+.1f} %"
    return text.replace(".", ",") if lang == "it" else text.replace(" %", "%")


def reason_text(reason: dict, lang: str = "it") -> str:
    """One reason in the officer's words."""
    p = dict(reason["params"])
    euro = lambda cents: format_euro(cents, lang)
    if reason["code"] == "mission_gone":
        p = {"mission": mission_label(p["mission"]), "before": euro(p["before"])}
    elif reason["code"] == "total_moved":
        p = {
            "change": _percent(p["change"], lang),
            "before": euro(p["before"]),
            "after": euro(p["after"]),
            "limit": _percent(p["limit"], lang).lstrip("+"),
        }
    elif reason["code"] == "per_inhabitant_out":
        p = {k: euro(round(p[k] * 100)) for k in ("after", "typical", "low", "high")} | {
            "body_type": p.get("body_type", "")
        }
    template = rules()["reasons"][reason["code"]][lang]
    return template.format(**p)


@cache
def _names() -> dict[str, str]:
    return dict(zip(missions()["code"], missions()["name"])) | {
        f"T{k}": v for k, v in zip(titles()["code"], titles()["name"])
    }


def mission_label(code: str) -> str:
    return f"{code} {_names().get(code, '')}".strip()


def title_label(code: str) -> str:
    return f"{code} {_names().get('T' + code, '')}".strip()


def comparison_rows(comparison: dict, lang: str = "it") -> list[dict]:
    """Per mission (or revenue title): label, before, after, difference, as text, for a table."""
    rows = comparison["missions"] or comparison["titles"]
    label = mission_label if comparison["missions"] else title_label
    return [
        {
            "label": label(r["code"]),
            "before": format_euro(r["before"], lang),
            "after": format_euro(r["after"], lang),
            "difference": format_euro(r["difference"], lang),
            "gone": bool(r["before"]) and not r["after"],
        }
        for r in rows
    ]


def overview(comparison: dict, lang: str = "it") -> list[tuple[str, str, str]]:
    """(what, in use, new) for totals, lines, detail and programmes."""
    it = lang == "it"
    d, p, t = comparison["detail"], comparison["programmes"], comparison["total"]
    per = comparison.get("per_inhabitant") or {}
    return [
        (
            ("Spesa complessiva (titoli 1 e 2)" if it else "Total spending (titles 1 and 2)")
            if t.get("titles_1_2", True)
            else ("Spesa complessiva (tutti i titoli)" if it else "Total spending (all titles)"),
            format_euro(t["before"], lang),
            format_euro(t["after"], lang),
        ),
        (
            "Spesa per abitante" if it else "Spending per inhabitant",
            format_euro(round(per["before"] * 100), lang) if per.get("before") is not None else "—",
            format_euro(round(per["after"] * 100), lang) if per.get("after") is not None else "—",
        ),
        ("Dettaglio" if it else "Detail", DETAIL_WORDS[d["before"]][not it], DETAIL_WORDS[d["after"]][not it]),
        ("Programmi presenti" if it else "Programmes present", str(p["before"]), str(p["after"])),
        (
            "Righe" if it else "Lines",
            f"{comparison['lines']['before']:,}".replace(",", "." if it else ","),
            f"{comparison['lines']['after']:,}".replace(",", "." if it else ","),
        ),
    ]


def _reason_texts(reasons: list[dict], lang: str) -> list[str]:
    """The reasons in words; many missions gone become one sentence (the table marks each of them)."""
    gone = [r for r in reasons if r["code"] == "mission_gone"]
    if len(gone) <= 2:
        return [reason_text(r, lang) for r in reasons]
    together = rules()["reasons"]["missions_gone"][lang].format(
        count=len(gone),
        codes=", ".join(r["params"]["mission"] for r in gone),
        before=format_euro(sum(r["params"]["before"] for r in gone), lang),
    )
    return [together] + [reason_text(r, lang) for r in reasons if r["code"] != "mission_gone"]


def held_view(comparisons: list[dict], lang: str = "it") -> list[dict]:
    """What a page or a terminal shows of a held receipt: per partition that would get worse, what it replaces,
    the reasons in words, the overview (totals, detail, programmes, lines) and the table per mission."""
    from sources.reference import body_name

    phases = {"previsione": ("Bilancio di previsione", "Forecast"), "rendiconto": ("Rendiconto", "Final accounts")}
    shown = []
    for comparison in comparisons:
        if not comparison["worse"]:
            continue
        body, year, phase = comparison["partition"].split("|")
        shown.append(
            {
                "what": f"{body_name(body)}, {phases.get(phase, (phase, phase))[lang == 'en']} {year}",
                "previous_name": comparison["previous_name"],
                "previous_seq": comparison["previous_seq"],
                "reasons": _reason_texts(comparison["reasons"], lang),
                "overview": overview(comparison, lang),
                "rows": comparison_rows(comparison, lang),
                "by_mission": bool(comparison["missions"]),
            }
        )
    return shown
