"""``areavasta dup responsabile``: name the unit responsible for a programme in the body's DUP (``<home>/dup/<body>.csv``,
``sources.dup_units``); the next ``areavasta report`` (or run) writes it in the document instead of "da indicare".

Registered on the ``areavasta`` app by ``pipelines.cli`` (``register(app, console, Lang)``).
"""

import datetime as dt
import getpass
import os
from typing import Annotated

import typer
from rich.console import Console

from sources.settings import load_settings


def _say(italian: str, english: str) -> str:
    return english if os.environ.get("AREAVASTA_LANG") == "en" else italian


def register(app: typer.Typer, console: Console, Lang) -> None:
    """Add the ``dup`` group of commands to the command line."""
    dup = typer.Typer(help="Il DUP come documento Word: i campi che compila l'ente.", no_args_is_help=True)
    app.add_typer(dup, name="dup")

    @dup.command("responsabile")
    def responsible(body: Annotated[str, typer.Option("--body", help="Ente (codice ISTAT, codice storico, sigla o nome).")],
                    function: Annotated[str, typer.Option("--funzione", "--function", help="Programma (10.05) o missione (10) del bilancio.")],
                    unit: Annotated[str, typer.Option("--unita", "--unit", help="L'unità organizzativa responsabile, come la chiama l'ente.")],
                    source: Annotated[str | None, typer.Option("--fonte", "--source", help="Da dove viene il nome (es. organigramma 2026); predefinito: chi lo scrive e quando.")] = None,
                    lang: Lang = "it") -> None:
        """Indica l'unità responsabile di un programma nel DUP dell'ente (file dup/<ente>.csv); il prossimo rapporto la scrive al posto di «da indicare»."""
        from sources.dup_units import UnitsError, known_function, set_unit
        from sources.reference import body_name, resolve_body

        code = resolve_body(body)
        if code is None:
            console.print("[red]" + _say(f"Ente sconosciuto: {body}.", f"Unknown body: {body}.") + "[/]")
            raise typer.Exit(2)
        function = function.strip()
        if not known_function(function):
            console.print("[red]" + _say(f"'{function}' non è un programma (es. 10.05) né una missione (es. 10) del bilancio.",
                                         f"'{function}' is neither a programme (e.g. 10.05) nor a mission (e.g. 10) of the budget.") + "[/]")
            raise typer.Exit(2)
        if not unit.strip():
            console.print("[red]" + _say("Serve il nome dell'unità (--unita).", "The unit's name is needed (--unit).") + "[/]")
            raise typer.Exit(2)
        settings = load_settings()
        source = source or f"areavasta dup responsabile – {getpass.getuser()} – {dt.date.today().isoformat()}"
        try:
            path = set_unit(settings.home, code, function, unit, source)
        except UnitsError as refused:  # the file was edited by hand and cannot be read: it is left as it is
            console.print(f"[red]{refused.message('en' if os.environ.get('AREAVASTA_LANG') == 'en' else 'it')}[/]", soft_wrap=True)
            raise typer.Exit(1) from None
        console.print(_say(f"{body_name(code)}, {function}: responsabile «{unit.strip()}» scritto in {path}. Il prossimo rapporto "
                           "(areavasta report) lo riporta nel DUP.",
                           f"{body_name(code)}, {function}: responsible unit \"{unit.strip()}\" written to {path}. The next report "
                           "(areavasta report) puts it in the DUP."), soft_wrap=True)
