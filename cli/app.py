"""The ``areavasta`` command line: the app, its console and the plumbing every group of commands shares.

The commands live in the other modules of ``cli/`` (one per group), registered on ``app`` when ``cli.main`` imports
them. Exit codes: 0 everything accepted (or valid); 1 at least one file has errors (rejected);
2 wrong usage (unknown option, missing file).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console, Group
from rich.padding import Padding
from rich.text import Text

from cli.language import command_help, language, speak
from sources.findings import Finding

speak(language())
# no locals in a crash report: a frame holding a national extract took minutes and gigabytes to print (2026-12-03)
app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    pretty_exceptions_show_locals=False,
    help="areavasta: bilanci delle province e città metropolitane.",
)
console = Console()


def _command_lang(value: str) -> str:
    """A command's own --lang holds for everything that command prints (restored when it ends, see ``everywhere``)."""
    import os

    os.environ["AREAVASTA_LANG"] = value
    speak(value)
    return value  # (a command's own help is already printed by then: "--lang en" before the command translates it)


Lang = Annotated[
    str, typer.Option("--lang", envvar="AREAVASTA_LANG", callback=_command_lang, help="Lingua dei messaggi: it o en.")
]


@app.callback()
def everywhere(
    ctx: typer.Context,
    lang: Annotated[
        str,
        typer.Option(
            "--lang", envvar="AREAVASTA_LANG", help="Lingua di tutti i comandi: it o en (anche AREAVASTA_LANG)."
        ),
    ] = "it",
) -> None:
    """areavasta: bilanci delle province e città metropolitane."""
    import os

    previous = os.environ.get("AREAVASTA_LANG")
    os.environ["AREAVASTA_LANG"] = lang  # every command's own --lang defaults to it

    def restore() -> None:  # for callers that run several commands in one process (tests, scripts)
        os.environ.pop("AREAVASTA_LANG") if previous is None else os.environ.__setitem__("AREAVASTA_LANG", previous)
        speak(language([]))

    ctx.call_on_close(restore)
    speak(lang)
    command_help(ctx.command, lang)  # "areavasta --lang en ingest --help" in English


Body = Annotated[
    str | None, typer.Option("--body", help="Ente: codice ISTAT (237), codice storico (037), sigla (BO) o nome.")
]
Year = Annotated[int | None, typer.Option("--year", help="Esercizio di bilancio.")]
Phase = Annotated[str | None, typer.Option("--phase", help="previsione o rendiconto.")]
PeerGroup = Annotated[
    str | None,
    typer.Option(
        "--peer-group",
        help="Enti simili: population (stesso tipo, popolazione comparabile), "
        "type (stesso tipo), region (stessa regione) o list (con --peers).",
    ),
]
Peers = Annotated[
    str | None,
    typer.Option("--peers", help="Enti simili scelti uno per uno, separati da virgola (codice ISTAT, sigla o nome)."),
]
Files = Annotated[
    list[Path], typer.Argument(exists=True, dir_okay=False, readable=True, help="File da leggere (xlsx o csv).")
]


PHASE_WORDS = {
    "it": {"rendiconto": "rendiconto", "previsione": "previsione"},
    "en": {"rendiconto": "final accounts", "previsione": "forecast"},
}


def say(italian: str, english: str) -> str:
    """The text in the command line's language (``--lang`` anywhere, or ``AREAVASTA_LANG``)."""
    import os

    return english if os.environ.get("AREAVASTA_LANG") == "en" else italian


SEVERITY_WORDS = {
    "it": {"error": "errore", "warning": "avviso", "info": "nota"},
    "en": {"error": "error", "warning": "warning", "info": "note"},
}
SEVERITY_STYLE = {"error": "red", "warning": "yellow", "info": "cyan"}


def findings_table(findings: list[Finding], lang: str, limit: int = 60) -> Group:
    """The findings laid out for an 80-column terminal: one heading per file, then one wrapped paragraph per finding
    ("errore, cella O1 del foglio Spese: message"). Codes stay in ``--json``; a person reads the message."""
    lines: list = []
    current = None
    for finding in findings[:limit]:
        if finding.file != current:
            current = finding.file
            lines.append(Text(f"\n{finding.file}", style="bold", overflow="fold"))
        where = []
        if finding.cell or finding.row:
            where.append(
                (f"cella {finding.cell}" if lang == "it" else f"cell {finding.cell}")
                if finding.cell
                else (f"riga {finding.row}" if lang == "it" else f"row {finding.row}")
            )
        if finding.sheet:
            where.append(f"foglio {finding.sheet}" if lang == "it" else f"sheet {finding.sheet}")
        head = ", ".join([SEVERITY_WORDS[lang].get(finding.severity, finding.severity), *where])
        text = Text("• ", overflow="fold")
        text.append(head, style=SEVERITY_STYLE.get(finding.severity, ""))
        text.append(": " + finding.message(lang))
        lines.append(Padding(text, (0, 0, 0, 2)))  # wrapped lines stay indented under their bullet
    if len(findings) > limit:
        lines.append(
            Text(f"… e altri {len(findings) - limit}" if lang == "it" else f"… and {len(findings) - limit} more")
        )
    return Group(*lines)


def body_and_function(body: str, function: str) -> tuple[str, str]:
    """The body's ISTAT code and the programme or mission a command names, or a usage error (exit 2) saying which is
    wrong."""
    from sources.dup_units import known_function
    from sources.reference import resolve_body

    code, function = resolve_body(body), function.strip()
    if code is None:
        console.print("[red]" + say(f"Ente sconosciuto: {body}.", f"Unknown body: {body}.") + "[/]")
        raise typer.Exit(2)
    if not known_function(function):
        console.print(
            "[red]"
            + say(
                f"'{function}' non è un programma (es. 10.05) né una missione (es. 10) del bilancio.",
                f"'{function}' is neither a programme (e.g. 10.05) nor a mission (e.g. 10) of the budget.",
            )
            + "[/]"
        )
        raise typer.Exit(2)
    return code, function
