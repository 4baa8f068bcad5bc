"""Maintenance: ``layouts`` (the file formats known), ``restore`` (an archived file as received) and ``rebuild`` (the
warehouse again from the archive, and what it proves, in words).

``rebuild`` exit codes: 0 rebuilt, every table as before; 1 rebuilt, but a table (named) differs from before or the
files in use are not those before; 5 refused before touching anything, with each file it cannot rebuild and why; 3 (as
every command) the warehouse is in use by another process.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from cli.app import Lang, app, console, say
from sources.settings import load_settings

REFUSED_EXIT = 5


def _number(value: int | None, it: bool) -> str:
    from transforms.figures import number

    return "" if value is None else number(value, "it" if it else "en")


def _group(values: tuple) -> str:
    """A group as a person reads it: ``237 2025 rendiconto``; a SHA-256 by its first digits."""
    return " ".join(v[:12] if isinstance(v, str) and re.fullmatch(r"[0-9a-f]{64}", v) else str(v) for v in values)


def _verdict(check, report, it: bool) -> str:
    if check.differing:
        shown = "; ".join(_group(g) for g in check.differing[:3]) + (" …" if len(check.differing) > 3 else "")
        return f"[red]{'diversa' if it else 'differs'}: {shown}[/]"
    if report.compared_with == "archive" and check.unverified and check.rows_before is None:
        return "non registrata nell'archivio" if it else "not recorded in the archive"
    if check.new:
        return "uguale, più i file che erano in attesa" if it else "same, plus the files that were waiting"
    return "uguale" if it else "same"


def _sum(check, value: int | None, lang: str) -> str:
    from transforms.amounts import format_euro

    if value is None:
        return ""
    return (
        format_euro(value, lang)
        if check.spec.money
        else _number(value, lang != "en") + (" punti" if lang != "en" else " points")
    )


def _moved(before: str, after: str) -> str:
    """One figure when it did not move, ``before → after`` when it did."""
    return after if before in ("", after) else f"{before} → {after}"


def print_report(console: Console, report, lang: str) -> None:
    it = lang != "en"
    if report.set_aside:
        console.print(
            (
                f"Il magazzino precedente è conservato in {report.set_aside}."
                if it
                else f"The previous warehouse is kept as {report.set_aside}."
            ),
            soft_wrap=True,
        )
    loads = report.loads
    console.print(
        (
            f"Ricevimenti rilanciati: {report.receipts}; estratti nazionali ricaricati: {loads.get('national', 0)}; "
            f"questionari: {loads.get('ratings', 0)}."
            if it
            else f"Receipts replayed: {report.receipts}; national extracts loaded again: {loads.get('national', 0)}; "
            f"questionnaires: {loads.get('ratings', 0)}."
        ),
        soft_wrap=True,
    )
    table = Table(
        "tabella" if it else "table",
        "righe" if it else "rows",
        "somma" if it else "sum",
        "confronto" if it else "comparison",
        caption=("prima → dopo dove cambiano; prima: " if it else "before → after where they moved; before: ")
        + (
            ("il magazzino precedente" if it else "the previous warehouse")
            if report.compared_with == "warehouse"
            else ("le righe registrate nell'archivio" if it else "the rows recorded in the archive")
        ),
    )
    for check in report.checks:
        table.add_row(
            check.spec.words(lang),
            _moved(_number(check.rows_before, it), _number(check.rows_after, it)),
            _moved(_sum(check, check.sum_before, lang), _sum(check, check.sum_after, lang)),
            _verdict(check, report, it),
        )
    console.print(table)
    if report.compared_with == "archive":
        console.print(
            (
                "Il magazzino precedente non si può leggere: il confronto è con le righe che l'archivio ha registrato"
                " per ogni file."
                if it
                else "The previous warehouse cannot be read: the comparison is with the rows the archive recorded for"
                " each file."
            ),
            soft_wrap=True,
        )
    if report.waiting:
        console.print(
            (
                f"Caricati ora i file che erano in attesa di caricamento: {', '.join(report.waiting)}."
                if it
                else f"Loaded now, the files that were waiting to be loaded: {', '.join(report.waiting)}."
            ),
            soft_wrap=True,
        )
    if report.unregistered:
        console.print(
            (
                "Nell'archivio senza ricevuta, mai caricati (la ricezione si è interrotta prima di registrarli),"
                f" restano fuori: {', '.join(report.unregistered)}."
                if it
                else "In the archive without a receipt, never loaded (the reception stopped before registering them),"
                f" left out: {', '.join(report.unregistered)}."
            ),
            soft_wrap=True,
        )
    if report.expected_current != report.current_after:
        console.print(
            (
                "[red]I file in uso dopo la ricostruzione non sono quelli di prima: ricevute "
                if it
                else "[red]The files in use after the rebuild are not those before: receipts "
            )
            + f"{report.expected_current} → {report.current_after}.[/]",
            soft_wrap=True,
        )
    if report.differing:
        names = ", ".join(c.spec.words(lang) for c in report.differing)
        console.print(
            (
                f"[red]Tabelle ricostruite diverse da prima: {names}.[/]"
                if it
                else f"[red]Rebuilt tables that differ from before: {names}.[/]"
            ),
            soft_wrap=True,
        )
    analyses = f" ({report.analyses} {'tabelle' if it else 'tables'})" if report.analyses else ""
    console.print(
        (
            f"Magazzino ricostruito: eseguire 'areavasta run' per ricalcolare le analisi{analyses}."
            if it
            else f"Warehouse rebuilt: run 'areavasta run' to recompute the analyses{analyses}."
        ),
        soft_wrap=True,
    )


def print_refusal(console: Console, refused, lang: str) -> None:
    it = lang != "en"
    console.print(
        (
            "[red]Ricostruzione rifiutata, il magazzino non è stato toccato: questi file non si possono ricostruire.[/]"
            if it
            else "[red]Rebuild refused, the warehouse was not touched: these files cannot be rebuilt.[/]"
        ),
        soft_wrap=True,
    )
    for refusal in refused.refusals:
        console.print(f"  - {refusal.file}: {refusal.reason(lang)}", soft_wrap=True)


@app.command()
def layouts(lang: Lang = "it") -> None:
    """Elenca i formati di file riconosciuti."""
    from sources.layouts import profiles

    table = Table(
        "nome" if lang == "it" else "name",
        "file",
        "descrizione" if lang == "it" else "description",
    )
    for profile in profiles():  # the name is what --layouts takes; the reading engine is the code's business
        kinds = dict.fromkeys(kind.removesuffix("_stream") for kind in profile.formats)
        table.add_row(profile.name, ", ".join(kinds), profile.description(lang))
    console.print(table)


@app.command()
def restore(
    sha256: Annotated[str, typer.Argument(help="SHA-256 del file (o le sue prime cifre, almeno 8).")],
    output: Annotated[Path, typer.Option("-o", "--output", help="Dove scrivere il file come è stato ricevuto.")],
    lang: Lang = "it",
) -> None:
    """Riscrive un file dell'archivio esattamente come è stato ricevuto
    (gli estratti nazionali sono conservati compressi)."""
    from babel.numbers import format_decimal

    from sources import archive

    settings = load_settings()
    wanted = sha256.strip().lower()
    found = archive.shas_starting_with(settings.archive_dir, wanted) if len(wanted) >= 8 else []
    if len(found) != 1:
        console.print(
            "[red]"
            + (
                say(f"Nessun file dell'archivio ha SHA-256 {wanted}.", f"No archived file has SHA-256 {wanted}.")
                if not found
                else say(
                    f"{len(found)} file dell'archivio iniziano con {wanted}: indicare più cifre.",
                    f"{len(found)} archived files start with {wanted}: give more digits.",
                )
            )
            + "[/]",
            soft_wrap=True,
        )
        raise typer.Exit(1)
    stored = archive.find_archived(settings.archive_dir, found[0])
    written = archive.restore(stored, output)
    if written != found[0]:  # the archive was altered on disk
        output.unlink(missing_ok=True)
        console.print(
            "[red]"
            + say(
                f"Il file archiviato {stored} non corrisponde più al suo SHA-256: non è stato scritto nulla.",
                f"The archived file {stored} no longer matches its SHA-256: nothing was written.",
            )
            + "[/]",
            soft_wrap=True,
        )
        raise typer.Exit(1)
    size = output.stat().st_size
    console.print(
        say(
            f"Scritto {output} ({format_decimal(size, locale='it_IT')} byte), SHA-256 {written} verificato.",
            f"Wrote {output} ({size:,} bytes), SHA-256 {written} verified.",
        ),
        soft_wrap=True,
    )


@app.command()
def rebuild(lang: Lang = "it") -> None:
    """Ricostruisce il magazzino dall'archivio: ricarica ogni file ricevuto e caricato (bilanci, estratti nazionali,
    questionari), nell'ordine in cui era stato caricato,
    e lo confronta tabella per tabella con il magazzino di prima."""
    from warehouse.rebuild import RebuildRefused, rebuild_warehouse

    try:
        report = rebuild_warehouse(load_settings())
    except RebuildRefused as refused:
        print_refusal(console, refused, lang)
        raise typer.Exit(REFUSED_EXIT) from None
    print_report(console, report, lang)
    if not report.ok:
        raise typer.Exit(1)
