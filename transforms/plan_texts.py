"""The text of each plan, ready to paste into the body's DUP, from the plan's own parts: one template per plan kind
(``plan_kinds.csv`` › ``template``). Figures are written as a planner writes them (``transforms.figures``); the
catalogues come in as a ``PlanCatalogue`` (pure: nothing read here)."""

from __future__ import annotations

import re
from string import Template

import polars as pl

from transforms.amounts import format_euro
from transforms.figures import (
    article_percent,
    euro_words,
    percent,
    percent_range,
    range_words,
    share_of_spending,
)
from transforms.plan_catalogue import PlanCatalogue

UNKNOWN = "dato da rilevare"
MONTHS = {"it": "mesi", "en": "months"}


def listed(items: list[str]) -> str:
    """``a``, ``a e b``, ``a, b e c``."""
    if len(items) < 2:
        return "".join(items)
    return ", ".join(items[:-1]) + " e " + items[-1]


def first_step(catalogue: PlanCatalogue, lang: str) -> str:
    step = catalogue.mission_words["first_step"]
    return (
        f"{step[f'label_{lang}']} ({step['months_from']}-{step['months_to']} {MONTHS[lang]}): "
        f"{step[f'description_{lang}']}"
    )


def sentence(text: str | None) -> str:
    text = (text or "").strip()
    return text[:1].upper() + text[1:] + ("" if text.endswith(".") else ".") if text else ""


def kpi_text(k: dict) -> str:
    if k["baseline"] is None:
        return f"{k['label']} ({k['unit']}): {UNKNOWN} ({k['data_needed']})"
    value = format_euro(round(k["baseline"] * 100)) if k["format"] == "eur" else percent(k["baseline"])
    return f"{k['label']}: {value}"


def delegation_basis(row: dict) -> str:
    """The delegation's legal basis: the status's source, then the Region's reallocation law, each said once (a status
    that already cites c. 89 or the law is not followed by it again)."""
    status, law = (row.get("status_source") or "").strip(), (row.get("regional_law") or "").strip()
    cited = law.split(": ")[-1]
    if not law or cited in status or (cited.startswith("L. 56/2014") and "c. 89" in status):
        return status or law
    return f"{status}; {law}" if status else law


def coverage(row: dict, lang: str = "it") -> str:
    """Full cost against the revenue attributed to the function (regional transfers): the cost-recovery figure."""
    full = row.get("full_cents") or row.get("total_cents") or 0
    revenue = row.get("revenue_cents")
    if revenue is None:
        document = "del bilancio di previsione" if row.get("phase") == "previsione" else "del rendiconto"
        return (
            f"La copertura con i trasferimenti regionali è da rilevare: servono le entrate {document} attribuite "
            "alla funzione."
        )
    covered = revenue / full if full else None
    gap = full - revenue
    text = (
        f"Le entrate attribuite alla funzione (trasferimenti regionali) sono {euro_words(revenue)}: coprono "
        f"{article_percent(covered)} del costo pieno"
    )
    return text + (f"; restano a carico del bilancio dell'ente {euro_words(gap)}." if gap > 0 else ".")


DRIVER_WORDS = {"staff": "spesa di personale", "operating": "spesa di funzionamento"}


def full_cost_sentence(row: dict, full_cost_driver: str) -> str:
    """The full cost with its allocation key; where the function has none of the key's spending, no share can be
    given."""
    driver = DRIVER_WORDS.get(full_cost_driver, "spesa di personale")
    full, direct = row.get("full_cents"), row.get("total_cents") or 0
    if full is None or full <= direct:
        return (
            f"la quota dei servizi di supporto non si può attribuire con la chiave della {driver} "
            "(la funzione non ne ha): il costo pieno è da stimare."
        )
    return (
        f"il costo pieno, con la quota dei servizi di supporto ripartita in base alla {driver}, "
        f"è di {euro_words(full)}."
    )


def basis(row: dict, catalogue: PlanCatalogue) -> str:
    """``Funzione fondamentale: L. 56/2014 art. 1 c. 44 lett. d); c. 85 lett. b).`` for a function the law gives the
    body (a metropolitan city's clauses for a metropolitan city), nothing for the others."""
    if row.get("status") != "retained":
        return ""
    law = catalogue.legal_basis(row["function"], catalogue.is_metro(row["body"]))
    return f"Funzione fondamentale: {law}." if law else ""


def kick_start_words(row: dict) -> str:
    """The kick-start resources, and when they exceed the highest yearly effect, that the case is not the saving."""
    words = euro_words(row["kick_start_cents"])
    if (row.get("effect_high_cents") or 0) < (row.get("kick_start_cents") or 0):
        words += (
            " (più dell'effetto atteso in un anno: il progetto si giustifica per la qualità del servizio e la "
            "partecipazione, non per il risparmio)"
        )
    return words


def cautions(row: dict, flag_rules: list[dict], lang: str = "it") -> str:
    """What the function's flags mean for its plan (``rules.yaml`` › ``plan_it``), as a paragraph, or nothing."""
    notes = {r["code"]: r.get(f"plan_{lang}") for r in flag_rules}
    figures = {
        "commitment": article_percent(row.get("commitment_capacity"), lang)
        if row.get("commitment_capacity") is not None
        else "",
        "commitment_year": row.get("commitment_capacity_year") or row.get("year") or "",
    }
    said = [notes[f].format(**figures) for f in row.get("flags") or [] if notes.get(f)]
    return ("\n\nAvvertenze. " + " ".join(said)) if said else ""


def funding(row: dict) -> str:
    """What the body pays of a function it hands over: the coverage when revenue is attributed, the declared own share,
    or that it is not known yet (never "no own spending" from a default)."""
    if row.get("revenue_cents") is not None:
        return coverage(row)
    level = int(row.get("own_funding") or 0)
    if level == 0:
        return (
            "Non è ancora noto quanta parte di questa spesa sia coperta da trasferimenti regionali e quanta resti a "
            "carico del bilancio dell'ente: va accertato nella ricognizione."
        )
    return (
        "L'ente dichiara di finanziarne con risorse proprie una quota "
        f"{['', 'marginale', 'rilevante', 'totale'][level]}: "
        "per questo la funzione entra nella graduatoria delle priorità."
    )


def retained(function: str, retained_parts: pl.DataFrame) -> str:
    """Parts of a handed-over function that the law leaves with the body (``retained_parts.csv``)."""
    parts = [r for r in retained_parts.iter_rows(named=True) if r["programme"] == function]
    return " ".join(f"Resta all'ente {p['part_it']} ({p['citation']})." for p in parts)


def tidy(text: str) -> str:
    """No empty brackets or doubled spaces left by an empty part; at most one blank line between paragraphs."""
    text = re.sub(r" \(\s*\)", "", text)
    text = re.sub(r"[ \t]{2,}", " ", text)
    text = re.sub(r"[ \t]+\n", "\n", text)
    text = re.sub(r" +([.;,])", r"\1", text)
    return re.sub(r"\n{3,}", "\n\n", text).strip() + "\n"


def dup_text(row: dict, effects: pl.DataFrame, own: list[dict], catalogue: PlanCatalogue, lang: str = "it") -> str:
    """Text for the body's DUP (Documento Unico di Programmazione), in the template of the plan's kind."""
    return tidy(_dup_text(row, effects, own, catalogue, lang))


def _dup_text(row: dict, effects: pl.DataFrame, own: list[dict], catalogue: PlanCatalogue, lang: str = "it") -> str:
    kind = row["plan_kind"]
    first = first_step(catalogue, "it")
    common = dict(
        name=row.get("name") or row["function"],
        function=row["function"],
        year=row["year"],
        spending=euro_words(row["total_cents"]),
        per_capita=format_euro(round((row.get("per_capita_eur") or 0) * 100)),
        actors=row["actors"],
        instruments=row["instruments"],
        risks=row["risks_text"],
        kpis="; ".join(kpi_text(k) for k in own if k["kind"] != "financial"),
        verb="ha impegnato" if row["phase"] == "rendiconto" else "prevede di spendere",
        steps=row["phases_text"],
        share=share_of_spending(row.get("share_of_body")),
        status_source=row.get("status_source") or "",
        financial="; ".join(kpi_text(k) for k in own if k["kind"] == "financial"),
        cautions=cautions(row, catalogue.flag_rules),
        basis=basis(row, catalogue),
    )
    text = Template(
        catalogue.templates[
            catalogue.plan_kinds()[kind]["template"]
            if kind != "development" or not row.get("coarse")
            else "dup_mission_it.txt"
        ]
    )
    if kind == "handover":
        return text.safe_substitute(
            **common,
            status_word=catalogue.status_labels["it"].get(row["status"], ""),
            funding=funding(row),
            retained=retained(row["function"], catalogue.csv("retained_parts.csv")),
        )
    if kind == "delegation":
        types = row["coproduction_types"]
        coproduction = (
            f"Co-produzione nei limiti della delega: {types}. {sentence(row.get('delegation_why'))}"
            if types
            else "La delega non prevede co-produzione: l'ente la esercita secondo gli standard della Regione."
        )
        return text.safe_substitute(
            **common,
            full_cost_sentence=full_cost_sentence(row, catalogue.full_cost_driver),
            coverage=coverage(row),
            coproduction=coproduction,
            legal_basis=delegation_basis(row),
        )
    if kind == "maintain":
        return text.safe_substitute(
            **common,
            transfer=article_percent(row.get("transfer_share")),
            pass_through=sentence(row.get("pass_through_why"))[:-1],
            objective=catalogue.maintain_governs()[row.get("governs") or "grants"]["objective_it"],
        )
    if kind == "split":
        return text.safe_substitute(**common, first_step=sentence(first)[:-1], programme_plans=row["direction"])
    if row.get("coarse"):  # a mission total: the first step, a direction, no euro effects
        return text.safe_substitute(
            **common,
            service_type=row.get("service_type_it"),
            first_step=sentence(first)[:-1],
            direction=sentence(row["direction"])[:-1],
            field_name=row["field_name"],
            why=sentence(row["coproduction_why"]),
            phases=row["phases_text"].removeprefix(first + "; "),
            effect=sentence(catalogue.mission_effect)[:-1],
        )
    logics = catalogue.csv("response_logics.csv")
    names = dict(zip(logics["code"], logics[f"name_{lang}"]))
    assumptions = [
        Template(r[f"assumption_{lang}"]).safe_substitute(range=percent_range(float(r["low"]), float(r["high"]), lang))
        for r in effects.iter_rows(named=True)
        if r["logic"] in row["logics"]
    ]
    return text.safe_substitute(
        **common,
        rigid=percent(row.get("rigid_share")),
        transfer=percent(row.get("transfer_share")),
        service_type=row.get("service_type_it"),
        authority=f"{row['authority']:.2f}".replace(".", ","),
        governance=row.get("governance_it"),
        current_position=row.get("current_position"),
        target_position=row.get("target_position"),
        field_name=row["field_name"],
        why=sentence(row["coproduction_why"]),
        logics=listed([f"«{names[code].lower()}»" for code in row["logics"]]),
        logic_reasons=row.get("logic_reasons") or "",
        coproduction=row["coproduction_types"],
        cases=f" Esperienze di riferimento: {row['cases']}." if row["cases"] else "",
        phases=row["phases_text"],
        kick_start=kick_start_words(row),
        effect=range_words(row["effect_low_cents"], row["effect_high_cents"]),
        assumptions="; ".join(assumptions),
    )
