"""The register of uploads at the command line: ``uploads`` (the register, states in words), ``confirm`` and
``cancel`` (a held replacement), and what a held file would change, shown as the portal shows it (``held_comparison``,
which ``ingest`` prints too).
"""

from __future__ import annotations

import os
from typing import Annotated

import typer
from rich.console import Group
from rich.table import Table
from rich.text import Text

from cli.app import Lang, app, console
from sources import receipts, replacement
from sources.receipts import Receipt
from sources.settings import load_settings

HELD_EXIT = 4  # a file would make the data worse: held until confirmed (README, exit codes)


def _lang() -> str:
    return "en" if os.environ.get("AREAVASTA_LANG") == "en" else "it"


def held_comparison(receipt: Receipt, lang: str | None = None) -> Group:
    """What the held file would change, per partition: the reasons, the overview and the table per mission in euro."""
    lang = lang or _lang()
    it = lang == "it"
    parts: list = [
        Text(
            (
                "\n"
                + receipt.original_name
                + (" — in attesa di conferma (ricevuta " if it else " — waiting for confirmation (receipt ")
                + f"{receipt.seq})"
            ),
            style="bold yellow",
            overflow="fold",
        )
    ]
    for view in replacement.held_view(receipt.comparisons, lang):
        parts.append(
            Text(
                (
                    f"Sostituirebbe {view['previous_name']} (ricevuta {view['previous_seq']}), in uso per "
                    if it
                    else f"It would replace {view['previous_name']} (receipt {view['previous_seq']}), in use for "
                )
                + view["what"]
                + ":",
                overflow="fold",
            )
        )
        parts += [Text("  • " + reason, style="yellow", overflow="fold") for reason in view["reasons"]]
        overview = Table("", "in uso" if it else "in use", "nuovo file" if it else "new file", box=None, pad_edge=False)
        for row in view["overview"]:
            overview.add_row(*row)
        parts.append(overview)
        table = Table(
            ("missione" if it else "mission") if view["by_mission"] else ("titolo" if it else "title"),
            "in uso" if it else "in use",
            "nuovo file" if it else "new file",
            "differenza" if it else "difference",
            header_style="bold",
        )
        table.columns[0].overflow = "fold"
        for row in view["rows"]:
            table.add_row(
                row["label"], row["before"], row["after"], row["difference"], style="red" if row["gone"] else ""
            )
        parts.append(table)
    parts.append(
        Text(
            ("Per sostituire comunque: areavasta confirm " if it else "To replace anyway: areavasta confirm ")
            + f"{receipt.seq} "
            + ("(oppure areavasta cancel " if it else "(or areavasta cancel ")
            + f"{receipt.seq}); "
            + ("la prossima volta: areavasta ingest --replace." if it else "next time: areavasta ingest --replace."),
            overflow="fold",
        )
    )
    return Group(*parts)


@app.command()
def uploads(
    body: Annotated[
        str | None, typer.Option("--body", help="Ente (codice ISTAT, codice storico, sigla o nome).")
    ] = None,
    lang: Lang = "it",
) -> None:
    """Il registro dei file ricevuti, con lo stato di ciascuno (in uso, sostituito, in attesa di conferma, …)."""
    from sources.reference import body_name, resolve_body

    settings = load_settings()
    wanted = resolve_body(body) if body else None
    it = lang != "en"
    if body and wanted is None:
        console.print("[red]" + (f"Ente sconosciuto: {body}." if it else f"Unknown body: {body}.") + "[/]")
        raise typer.Exit(2)
    phases = {"previsione": "previsione" if it else "forecast", "rendiconto": "rendiconto" if it else "final accounts"}
    table = Table(
        "n.",
        "file",
        "ente" if it else "body",
        "esercizio" if it else "year",
        "stato" if it else "state",
        "da" if it else "by",
        header_style="bold",
    )
    table.columns[1].overflow = "fold"
    table.columns[4].no_wrap = True  # a state is read as one phrase
    for receipt in receipts.all_receipts(settings):
        bodies = {str(p[0]) for p in receipt.partitions}
        if wanted and wanted not in bodies:
            continue
        years = sorted({f"{phases.get(p[2], p[2])} {p[1]}" for p in receipt.partitions})
        names = ", ".join(body_name(b) for b in sorted(bodies)[:2]) + (
            f" (+{len(bodies) - 2})" if len(bodies) > 2 else ""
        )
        table.add_row(
            str(receipt.seq),
            receipt.original_name,
            names,
            ", ".join(years[:2]) + ("…" if len(years) > 2 else ""),
            receipts.state_label(receipt.status, lang),
            receipt.uploader.name,
        )
    console.print(table)


def _decide(seq: str, user: str | None, action) -> Receipt:
    import getpass

    if not seq.isascii() or not seq.isdigit():
        console.print(
            "[red]"
            + (
                "Indicare il numero della ricevuta (areavasta uploads)."
                if _lang() == "it"
                else "Give the receipt's number (areavasta uploads)."
            )
            + "[/]"
        )
        raise typer.Exit(2)
    settings = load_settings()
    who = receipts.Uploader(user or getpass.getuser())  # the operator at the server: every body
    try:
        return action(settings, int(seq), who)
    except receipts.RegisterRefusal as refusal:
        console.print(f"[red]{refusal.message(_lang())}[/]", soft_wrap=True)
        raise typer.Exit(1) from None


@app.command()
def confirm(
    seq: Annotated[str, typer.Argument(metavar="N", help="Numero della ricevuta (areavasta uploads).")],
    user: Annotated[str | None, typer.Option("--user", help="Chi conferma (per il registro).")] = None,
    lang: Lang = "it",
) -> None:
    """Conferma una sostituzione in attesa: il file viene caricato e diventa quello in uso."""
    from warehouse.errors import WarehouseError
    from warehouse.loading import load_receipts

    settings = load_settings()
    it = lang != "en"
    found = receipts.get(settings, int(seq)) if seq.isdigit() else None
    # confirmed earlier but not loaded yet (the warehouse was busy): load it now
    receipt = (
        found
        if found and found.status == receipts.RECEIVED and found.confirmed_by
        else _decide(seq, user, receipts.confirm)
    )
    try:
        [outcome] = load_receipts(settings, [receipt]) or [None]
    except WarehouseError as exc:
        console.print(
            (
                f"Sostituzione confermata: {receipt.original_name} sarà caricato dal sensore, oppure con areavasta"
                f" confirm {receipt.seq} quando il magazzino è libero ({exc.message('it')})"
                if it
                else f"Replacement confirmed: {receipt.original_name} will be loaded by the sensor, or by areavasta"
                f" confirm {receipt.seq} once the warehouse is free ({exc.message('en')})"
            ),
            soft_wrap=True,
        )
        raise typer.Exit(3) from None
    state = receipts.get(settings, receipt.seq).status
    console.print(
        (
            f"Sostituzione confermata: {receipt.original_name} è ora "
            if it
            else f"Replacement confirmed: {receipt.original_name} is now "
        )
        + receipts.state_label(state, lang)
        + ".",
        soft_wrap=True,
    )
    if outcome is not None and outcome.status == "rejected":
        raise typer.Exit(1)


@app.command()
def cancel(
    seq: Annotated[str, typer.Argument(metavar="N", help="Numero della ricevuta (areavasta uploads).")],
    user: Annotated[str | None, typer.Option("--user", help="Chi annulla (per il registro).")] = None,
    lang: Lang = "it",
) -> None:
    """Annulla una sostituzione in attesa: il file resta archiviato e non viene caricato."""
    receipt = _decide(seq, user, receipts.cancel)
    console.print(
        (
            f"Sostituzione annullata: {receipt.original_name} resta archiviato, non in uso."
            if lang != "en"
            else f"Replacement cancelled: {receipt.original_name} stays archived, not in use."
        ),
        soft_wrap=True,
    )
