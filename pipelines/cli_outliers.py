"""``areavasta anomalie``: the outliers the peer comparison flagged, and confirming one a person has checked.

A confirmation is written to ``<home>/confirmed_outliers.csv`` (``sources.outlier_confirmations``); the next run of the
peer comparison (``areavasta run``, or the annual rerun) reads it, stores it as ``core.confirmed_outliers`` and counts
the function in the peer medians and in its own components again. Registered on the ``areavasta`` app by
``pipelines.cli`` (``register(app, console, Lang)``).
"""

import getpass
import os
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from sources.settings import load_settings


def _say(italian: str, english: str) -> str:
    return english if os.environ.get("AREAVASTA_LANG") == "en" else italian


def _why(row: dict) -> str:
    """Why a function was flagged, in words: far from the peers, or a jump from the previous year."""
    reasons = []
    if row.get("outlier_peer"):
        reasons.append(_say(f"lontana dagli enti simili (z robusto {row['robust_z']:.1f})".replace(".", ","),
                            f"far from its peers (robust z {row['robust_z']:.1f})"))
    if row.get("outlier_jump"):
        change = f"{row['yearly_change']:+.0%}"
        reasons.append(_say(f"salto di {change} dall'anno prima".replace("%", " %"), f"{change} jump from the previous year"))
    return "; ".join(reasons)


def register(app: typer.Typer, console: Console, Lang) -> None:
    """Add the ``anomalie`` group (``outliers`` in English) to the command line."""
    group = typer.Typer(help="Valori anomali rispetto agli enti simili: elenco e conferma di quelli verificati.", no_args_is_help=True)
    app.add_typer(group, name="anomalie")
    app.add_typer(group, name="outliers", hidden=True)

    @group.command("elenco")
    def listing(body: Annotated[str | None, typer.Option("--body", help="Ente (codice ISTAT, codice storico, sigla o nome).")] = None,
                lang: Lang = "it") -> None:
        """Le funzioni segnalate come anomale e quelle già confermate, con il motivo."""
        from pipelines import warehouse
        from sources.kept_files import FileRefused
        from sources.outlier_confirmations import read_confirmations
        from sources.reference import resolve_body

        settings = load_settings()
        try:
            confirmed = read_confirmations(settings.home)
        except FileRefused as refused:
            console.print(f"[red]{refused.message(_say('it', 'en'))}[/]", soft_wrap=True)
            raise typer.Exit(1) from None
        code = resolve_body(body) if body else None
        with warehouse.connect(settings.warehouse_path) as con:
            flagged = warehouse.read_table(con, "peer_benchmarks", None, None, "t.outlier_peer OR t.outlier_jump")
        if code and flagged.height:
            flagged = flagged.filter(flagged["body"] == code)
        marks = {(r["body"], r["function"]): r for r in confirmed.iter_rows(named=True)}
        table = Table(*(_say(w, e) for w, e in (("ente", "body"), ("anno", "year"), ("funzione", "function"), ("perché", "why"),
                                                  ("confermata", "confirmed"))), title=_say("Valori anomali", "Outliers"))
        for r in flagged.sort("body", "year", "function").iter_rows(named=True) if flagged.height else []:
            mark = marks.get((r["body"], r["function"]))
            table.add_row(r["body"], str(r["year"]), r["function"], _why(r), f"{mark['confirmed_by']}: {mark['reason']}" if mark else "")
        console.print(table)
        if not flagged.height:
            console.print(_say("Nessun valore anomalo nel magazzino.", "No outliers in the warehouse."))

    @group.command("conferma")
    def confirm(body: Annotated[str, typer.Option("--body", help="Ente (codice ISTAT, codice storico, sigla o nome).")],
                function: Annotated[str, typer.Option("--funzione", "--function", help="Programma (10.05) o missione (10) del bilancio.")],
                reason: Annotated[str, typer.Option("--motivo", "--reason", help="Chi ha verificato il dato e come (obbligatorio).")],
                lang: Lang = "it") -> None:
        """Conferma un valore anomalo verificato: il prossimo confronto con gli enti simili lo conta di nuovo."""
        from sources.dup_units import known_function
        from sources.kept_files import FileRefused
        from sources.outlier_confirmations import confirm as write_confirmation
        from sources.reference import body_name, resolve_body

        code = resolve_body(body)
        if code is None:
            console.print("[red]" + _say(f"Ente sconosciuto: {body}.", f"Unknown body: {body}.") + "[/]")
            raise typer.Exit(2)
        if not known_function(function.strip()):
            console.print("[red]" + _say(f"'{function}' non è un programma (es. 10.05) né una missione (es. 10) del bilancio.",
                                         f"'{function}' is neither a programme (e.g. 10.05) nor a mission (e.g. 10) of the budget.") + "[/]")
            raise typer.Exit(2)
        if not reason.strip():
            console.print("[red]" + _say("Serve il motivo (--motivo): chi ha verificato il dato e come.",
                                         "The reason is needed (--reason): who checked the value, and how.") + "[/]")
            raise typer.Exit(2)
        settings = load_settings()
        try:
            path = write_confirmation(settings.home, code, function.strip(), reason, getpass.getuser())
        except FileRefused as refused:  # the file was edited by hand and cannot be read: it is left as it is
            console.print(f"[red]{refused.message(_say('it', 'en'))}[/]", soft_wrap=True)
            raise typer.Exit(1) from None
        console.print(_say(f"{body_name(code)}, {function.strip()}: valore confermato in {path}. Il prossimo confronto con gli enti "
                           "simili lo conta di nuovo: areavasta run (o la riesecuzione annuale).",
                           f"{body_name(code)}, {function.strip()}: value confirmed in {path}. The next peer comparison counts it "
                           "again: areavasta run (or the annual rerun)."), soft_wrap=True)
