"""``diff``: what changed for a body since its previous year (a forecast against the last final accounts when asked, or
when no earlier forecast is loaded), or between two runs; printed whole at any terminal width (codes never cut)."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from cli.app import PHASE_WORDS, Body, Lang, Phase, Year, app, console, say
from cli.reproducibility import parameter_words
from sources.settings import load_settings


@app.command()
def diff(
    body: Body = None,
    year: Year = None,
    phase: Phase = None,
    lang: Lang = "it",
    runs: Annotated[
        list[str] | None, typer.Option("--run", help="Due esecuzioni o manifesti da confrontare (--run A --run B).")
    ] = None,
    final_accounts: Annotated[
        bool,
        typer.Option(
            "--con-rendiconto",
            "--against-final-accounts",
            help="Confronta la previsione con l'ultimo rendiconto chiuso anche quando c'è la previsione dell'anno"
            " prima.",
        ),
    ] = False,
) -> None:
    """Cosa è cambiato per un ente rispetto all'esercizio precedente (o tra due esecuzioni, --run A --run B):
    quadrante, fascia, segnalazioni e piano, con il perché.

    Una previsione si confronta con la previsione dell'anno prima; se non è caricata, con l'ultimo rendiconto
    (e sempre con --con-rendiconto): il testo dice che cosa con che cosa."""
    import polars as pl

    from pipelines.changes import changes_since_previous
    from sources.reference import body_name, resolve_body
    from warehouse import store as warehouse

    if runs:
        raise typer.Exit(_diff_runs(runs, resolve_body(body) if body else None, year, phase, lang))
    code = resolve_body(body) if body else None
    if code is None:
        console.print(
            say(
                "Indicare l'ente con --body (codice ISTAT, sigla o nome).",
                "Give the body with --body (ISTAT code, abbreviation or name).",
            )
        )
        raise typer.Exit(2)
    settings = load_settings()
    with warehouse.connect(settings.warehouse_path) as con:
        years = (
            [
                y
                for (y,) in con.execute(
                    "SELECT DISTINCT year FROM core.ruffini_matrix WHERE body = ? ORDER BY 1", [code]
                ).fetchall()
            ]
            if warehouse.read_table(con, "ruffini_matrix", None, ["body"]).height
            else []
        )
        if not years or (year is not None and year not in years):
            console.print(
                say(
                    f"Nessun risultato per {body_name(code)} {year or ''}: eseguire prima areavasta run.",
                    f"No results for {body_name(code)} {year or ''}: run areavasta run first.",
                )
            )
            raise typer.Exit(1)
        found = changes_since_previous(
            con,
            pl.DataFrame({"body": [code], "year": [year or years[-1]]}, schema={"body": pl.String, "year": pl.Int32}),
            lang,
            "always" if final_accounts else "missing",
        )
    _print_changes(found, phase, lang)


WIDE = 100  # columns from which the changes print as a table; below, one block per change (codes never cut)


def _print_changes(found: dict, phase: str | None, lang: str) -> None:
    """Each comparison's title and note, then its changes: a table on a wide terminal, one block per change on a
    narrow one. A function's code is printed whole at any width; names and reasons fold."""
    from dashboards.words import label
    from sources.reference import body_name

    kinds = label("change_kinds", lang)
    for (b, y, p), changes in sorted(found.items()):
        if phase and p != phase:
            continue
        console.print(f"[bold]{body_name(b)} - {PHASE_WORDS[lang].get(p, p)} {y}: {changes.title}[/]", soft_wrap=True)
        console.print(changes.note, soft_wrap=True)
        rows = list(changes.rows.iter_rows(named=True))
        if not rows:
            continue
        if console.width < WIDE:
            console.print(_change_blocks(rows, kinds, lang))
            continue
        table = Table(show_lines=True, expand=True)
        code_width = max(len(r["function"]) for r in rows)
        for column, ratio in zip(
            ["funzione", "nome", "che cosa", "prima", "dopo", "perché"]
            if lang == "it"
            else ["function", "name", "what", "before", "after", "why"],
            (None, 2, 2, 2, 2, 5),
        ):
            if ratio is None:  # the code: as wide as the longest, never cut
                table.add_column(column, no_wrap=True, min_width=max(code_width, len(column)), overflow="fold")
            else:
                table.add_column(column, ratio=ratio, overflow="fold")
        for r in rows:
            table.add_row(
                r["function"], r["name"], kinds.get(r["change"], r["change"]), r["before"], r["after"], r["reason"]
            )
        console.print(table)


def _change_blocks(rows: list[dict], kinds: dict, lang: str):
    """The changes for a narrow terminal: the code and name on one line (the code first, whole), then what changed,
    from what to what, and why, indented beneath."""
    from rich.console import Group
    from rich.padding import Padding
    from rich.text import Text

    parts = []
    for r in rows:
        head = Text(overflow="fold")
        head.append(r["function"], style="bold")
        head.append(f" {r['name'] or ''}")
        parts.append(head)
        what = f"{kinds.get(r['change'], r['change'])}: {r['before'] or '—'} → {r['after'] or '—'}"
        parts.append(Padding(Text(what, overflow="fold"), (0, 0, 0, 2)))
        parts.append(Padding(Text(r["reason"] or "", overflow="fold"), (0, 0, 1, 2)))
    return Group(*parts)


def _parameter_change(asset: str, before: str, after: str, lang: str) -> str:
    was, now = parameter_words(asset, before, lang), parameter_words(asset, after, lang)
    default = say("valore dei file", "the files' value")
    return "; ".join(
        f"{path}: {say('da', 'from')} {was.get(path, default)} {say('a', 'to')} {now.get(path, default)}"
        for path in sorted(set(was) | set(now))
        if was.get(path) != now.get(path)
    )


def _diff_runs(runs: list[str], body: str | None, year: int | None, phase: str | None, lang: str) -> int:
    """Two runs (or manifests): what differs in what they were computed from, then what changed in the results."""
    import polars as pl

    from pipelines.changes import changes_between
    from warehouse import manifest as manifests
    from warehouse import store as warehouse

    if len(runs) != 2:
        console.print(say("Indicare due esecuzioni: --run A --run B.", "Give two runs: --run A --run B."))
        return 2
    settings = load_settings()
    with warehouse.connect(settings.warehouse_path) as con:
        found = [manifests.find(settings, con, ref) for ref in runs]
    missing = [ref for ref, m in zip(runs, found) if m is None]
    states = [manifests.load_state(settings, m["id"]) if m else None for m in found]
    if missing or any(s is None for s in states):
        console.print(
            say(
                f"Nessun manifesto con i risultati per: {', '.join(missing or runs)} (servono esecuzioni dei"
                " rapporti).",
                f"No manifest with results for: {', '.join(missing or runs)} (runs of the reports are needed).",
            ),
            soft_wrap=True,
        )
        return 1
    a, b = found
    moved = manifests.differences(a, b)
    console.print(f"[bold]{say('Da', 'From')} {a['id']} {say('a', 'to')} {b['id']}[/]")
    lines = [
        say(f"file nuovi: {', '.join(moved['inputs_added'])}", f"new files: {', '.join(moved['inputs_added'])}")
        if moved["inputs_added"]
        else "",
        say(
            f"file non più in uso: {', '.join(moved['inputs_removed'])}",
            f"files no longer in use: {', '.join(moved['inputs_removed'])}",
        )
        if moved["inputs_removed"]
        else "",
        say(
            f"regole e cataloghi modificati: {', '.join(moved['catalogues'])}",
            f"rules and catalogues edited: {', '.join(moved['catalogues'])}",
        )
        if moved["catalogues"]
        else "",
        *[_parameter_change(asset, before, after, lang) for asset, before, after in moved["parameters"]],
        say("codice di areavasta diverso", "different areavasta code") if moved["code"] else "",
    ]
    for line in [x for x in lines if x] or [
        say("stessi dati, regole, parametri e codice", "same data, rules, parameters and code")
    ]:
        console.print(f"  - {line}", soft_wrap=True)
    was, now = states
    for frame_filter in ([pl.col("body") == body] if body else []) + ([pl.col("year") == year] if year else []):
        was, now = was.filter(frame_filter), now.filter(frame_filter)
    _print_changes(changes_between(was, now, (a["id"], b["id"]), lang), phase, lang)
    return 0
