"""The ``dup`` group: what the body fills in of its DUP as a Word document. ``dup responsabile``: the unit responsible
for a programme, in ``<home>/dup/<body>.csv``, which the next report writes instead of "da indicare".
"""

from __future__ import annotations

import datetime as dt
import getpass
import os
from typing import Annotated

import typer

from cli.app import Lang, app, body_and_function, console, say
from sources.settings import load_settings

dup_group = typer.Typer(help="Il DUP come documento Word: i campi che compila l'ente.", no_args_is_help=True)
app.add_typer(dup_group, name="dup")


@dup_group.command("responsabile")
def responsible(
    body: Annotated[str, typer.Option("--body", help="Ente (codice ISTAT, codice storico, sigla o nome).")],
    function: Annotated[
        str, typer.Option("--funzione", "--function", help="Programma (10.05) o missione (10) del bilancio.")
    ],
    unit: Annotated[
        str, typer.Option("--unita", "--unit", help="L'unità organizzativa responsabile, come la chiama l'ente.")
    ],
    source: Annotated[
        str | None,
        typer.Option(
            "--fonte",
            "--source",
            help="Da dove viene il nome (es. organigramma 2026); predefinito: chi lo scrive e quando.",
        ),
    ] = None,
    lang: Lang = "it",
) -> None:
    """Indica l'unità responsabile di un programma nel DUP dell'ente (file dup/<ente>.csv);
    il prossimo rapporto la scrive al posto di «da indicare»."""
    from sources.dup_units import UnitsError, set_unit
    from sources.reference import body_name

    code, function = body_and_function(body, function)
    if not unit.strip():
        console.print(
            "[red]" + say("Serve il nome dell'unità (--unita).", "The unit's name is needed (--unit).") + "[/]"
        )
        raise typer.Exit(2)
    settings = load_settings()
    source = source or f"areavasta dup responsabile – {getpass.getuser()} – {dt.date.today().isoformat()}"
    try:
        path = set_unit(settings.home, code, function, unit, source)
    except UnitsError as refused:  # the file was edited by hand and cannot be read: it is left as it is
        console.print(
            f"[red]{refused.message('en' if os.environ.get('AREAVASTA_LANG') == 'en' else 'it')}[/]", soft_wrap=True
        )
        raise typer.Exit(1) from None
    console.print(
        say(
            f"{body_name(code)}, {function}: responsabile «{unit.strip()}» scritto in {path}. Il prossimo rapporto "
            "(areavasta report) lo riporta nel DUP.",
            f'{body_name(code)}, {function}: responsible unit "{unit.strip()}" written to {path}. The next report '
            "(areavasta report) puts it in the DUP.",
        ),
        soft_wrap=True,
    )
