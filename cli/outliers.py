"""The ``anomalie`` group (``outliers`` in English): the outliers the peer comparison flagged, and confirming one a
person has checked, in ``<home>/confirmed_outliers.csv``, which the next peer comparison reads and counts again.
"""

from __future__ import annotations

import getpass
from typing import Annotated

import typer
from rich.table import Table

from cli.app import Lang, app, body_and_function, console, say
from sources.settings import load_settings
from transforms.figures import number


def _why(row: dict) -> str:
    """Why a function was flagged, in words: far from the peers, or a jump from the previous year."""
    reasons = []
    if row.get("outlier_peer"):
        reasons.append(
            say(
                f"lontana dagli enti simili (z robusto {number(row['robust_z'], 'it', 1)})",
                f"far from its peers (robust z {number(row['robust_z'], 'en', 1)})",
            )
        )
    if row.get("outlier_jump"):
        it, en = (number(row["yearly_change"] * 100, lang, 0, signed=True) for lang in ("it", "en"))
        reasons.append(say(f"salto di {it} % dall'anno prima", f"{en}% jump from the previous year"))
    return "; ".join(reasons)


outliers = typer.Typer(
    help="Valori anomali rispetto agli enti simili: elenco e conferma di quelli verificati.", no_args_is_help=True
)
app.add_typer(outliers, name="anomalie")
app.add_typer(outliers, name="outliers", hidden=True)


@outliers.command("elenco")
def listing(
    body: Annotated[
        str | None, typer.Option("--body", help="Ente (codice ISTAT, codice storico, sigla o nome).")
    ] = None,
    lang: Lang = "it",
) -> None:
    """Le funzioni segnalate come anomale e quelle già confermate, con il motivo."""
    from sources.kept_files import FileRefused
    from sources.outlier_confirmations import read_confirmations
    from sources.reference import resolve_body
    from warehouse import store as warehouse

    settings = load_settings()
    try:
        confirmed = read_confirmations(settings.home)
    except FileRefused as refused:
        console.print(f"[red]{refused.message(say('it', 'en'))}[/]", soft_wrap=True)
        raise typer.Exit(1) from None
    code = resolve_body(body) if body else None
    with warehouse.connect(settings.warehouse_path) as con:
        flagged = warehouse.read_table(con, "peer_benchmarks", None, None, "t.outlier_peer OR t.outlier_jump")
    if code and flagged.height:
        flagged = flagged.filter(flagged["body"] == code)
    marks = {(r["body"], r["function"]): r for r in confirmed.iter_rows(named=True)}
    table = Table(
        *(
            say(w, e)
            for w, e in (
                ("ente", "body"),
                ("anno", "year"),
                ("funzione", "function"),
                ("perché", "why"),
                ("confermata", "confirmed"),
            )
        ),
        title=say("Valori anomali", "Outliers"),
    )
    for r in flagged.sort("body", "year", "function").iter_rows(named=True) if flagged.height else []:
        mark = marks.get((r["body"], r["function"]))
        table.add_row(
            r["body"],
            str(r["year"]),
            r["function"],
            _why(r),
            f"{mark['confirmed_by']}: {mark['reason']}" if mark else "",
        )
    console.print(table)
    if not flagged.height:
        console.print(say("Nessun valore anomalo nel magazzino.", "No outliers in the warehouse."))


@outliers.command("conferma")
def confirm_outlier(
    body: Annotated[str, typer.Option("--body", help="Ente (codice ISTAT, codice storico, sigla o nome).")],
    function: Annotated[
        str, typer.Option("--funzione", "--function", help="Programma (10.05) o missione (10) del bilancio.")
    ],
    reason: Annotated[
        str, typer.Option("--motivo", "--reason", help="Chi ha verificato il dato e come (obbligatorio).")
    ],
    lang: Lang = "it",
) -> None:
    """Conferma un valore anomalo verificato: il prossimo confronto con gli enti simili lo conta di nuovo."""
    from sources.kept_files import FileRefused
    from sources.outlier_confirmations import confirm as write_confirmation
    from sources.reference import body_name

    code, function = body_and_function(body, function)
    if not reason.strip():
        console.print(
            "[red]"
            + say(
                "Serve il motivo (--motivo): chi ha verificato il dato e come.",
                "The reason is needed (--reason): who checked the value, and how.",
            )
            + "[/]"
        )
        raise typer.Exit(2)
    settings = load_settings()
    try:
        path = write_confirmation(settings.home, code, function, reason, getpass.getuser())
    except FileRefused as refused:  # the file was edited by hand and cannot be read: it is left as it is
        console.print(f"[red]{refused.message(say('it', 'en'))}[/]", soft_wrap=True)
        raise typer.Exit(1) from None
    console.print(
        say(
            f"{body_name(code)}, {function}: valore confermato in {path}. Il prossimo confronto con gli enti "
            "simili lo conta di nuovo: areavasta run (o la riesecuzione annuale).",
            f"{body_name(code)}, {function}: value confirmed in {path}. The next peer comparison counts it "
            "again: areavasta run (or the annual rerun).",
        ),
        soft_wrap=True,
    )
