"""The classification as ``areavasta classify`` prints it: quadrants by their names (``quadrants.csv``), numbers through
the one formatter (``transforms.figures``), a body's changes to the authority catalogue in words."""

from __future__ import annotations

from rich.table import Table

from cli.app import PHASE_WORDS, console, say


def quadrant_names(lang: str) -> dict[str, str]:
    """Each quadrant's name as the reader sees it (``data/classification/quadrants.csv``), never its internal key."""
    from sources.catalogues import quadrants

    table = quadrants()
    return dict(zip(table["quadrant"], table[f"service_type_{lang}"]))


OVERRIDE_ATTRIBUTES = {
    "it": {"legal_mandate": "mandato legale", "direct_delivery": "erogazione diretta", "status": "stato"},
    "en": {"legal_mandate": "legal mandate", "direct_delivery": "direct delivery", "status": "status"},
}


def override_words(note: str, lang: str) -> str:
    """A body's change as recorded (``controls=3 (motivo; autore, data)``) with the attribute and status in words."""
    import re

    from sources.catalogues import status_labels
    from transforms.classify import ATTRIBUTE_WORDS

    attributes = {**ATTRIBUTE_WORDS[lang], **OVERRIDE_ATTRIBUTES[lang]}
    statuses = status_labels(lang)
    return re.sub(
        r"(?:^|(?<=; ))(\w+)=(\w+)",
        lambda m: f"{attributes.get(m[1], m[1])}: {statuses.get(m[2], m[2])}",
        note,
    )


def print_classification(result, lang: str) -> None:
    """The classification, one table per body, year and phase: quadrant names, Italian (or English) numbers."""
    import polars as pl

    from sources.reference import body_name
    from transforms.figures import number, percent

    names = quadrant_names(lang)
    functions = result.functions
    for (body, year, phase), part in functions.sort("body", "year", "phase").group_by(
        ["body", "year", "phase"], maintain_order=True
    ):
        title = f"{body_name(body)} - {PHASE_WORDS[lang].get(phase, phase)} {year}"
        table = Table(title=title, header_style="bold", show_lines=False)
        for column in (
            "funzione" if lang == "it" else "function",
            "quadrante" if lang == "it" else "quadrant",
            "trasf." if lang == "it" else "transf.",
            "autorità" if lang == "it" else "authority",
            "!",
            "spiegazione" if lang == "it" else "explanation",
        ):
            table.add_column(column, overflow="fold", no_wrap=column in ("funzione", "function"))
        for row in part.sort(pl.col("quadrant").is_null(), "function").iter_rows(named=True):
            share = "" if row["transfer_share"] is None else percent(row["transfer_share"], lang)
            authority = "" if row["authority"] is None else number(row["authority"], lang, 2)
            flag = ("≈" if row["borderline"] else "") + ("✎" if row["override_note"] else "")
            changed = say("modificato dall'ente", "changed by the body")
            explanation = (row[f"explanation_{lang}"] or "") + (
                f" ({changed} - {override_words(row['override_note'], lang)})" if row["override_note"] else ""
            )
            quadrant = names.get(row["quadrant"], "—") if row["quadrant"] else "—"
            table.add_row(row["function"], quadrant, share, authority, flag, explanation)
        console.print(table)
    console.print(
        "≈ vicino a una soglia, ✎ modificato dall'ente" if lang == "it" else "≈ near a threshold, ✎ changed by the body"
    )
