"""Reproducibility: ``manifest`` (what a run was computed from), ``rerun`` (compute a manifest again, byte for byte) and
``diff`` (what changed since the previous year, or between two runs)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from cli.app import PHASE_WORDS, Body, Lang, Phase, Year, app, console, say
from sources.settings import load_settings


def _manifest_or_exit(ref: str):
    """Settings and the manifest ``ref`` names (an id, a Dagster run id, or ``ultimo``); exit 1 in words when none or
    several match."""
    from warehouse import manifest as manifests
    from warehouse import store as warehouse

    settings = load_settings()
    with warehouse.connect(settings.warehouse_path) as con:
        found = manifests.find(settings, con, ref)
    if found is None:
        console.print(
            say(
                f"Nessun manifesto per '{ref}' (uno solo deve corrispondere).",
                f"No manifest for '{ref}' (exactly one must match).",
            )
        )
        raise typer.Exit(1)
    return settings, found


@app.command()
def manifest(
    ref: Annotated[str, typer.Argument(help="Manifesto (codice), esecuzione Dagster (id) o 'ultimo'.")] = "ultimo",
    as_json: Annotated[bool, typer.Option("--json", help="Il manifesto intero, in JSON.")] = False,
    lang: Lang = "it",
) -> None:
    """Mostra il manifesto di un'esecuzione:
    file ricevuti, cataloghi e regole, parametri, versione del codice, risultati."""
    import json

    _, found = _manifest_or_exit(ref)
    if as_json:
        console.print_json(json.dumps(found, default=str))
        return
    it = lang != "en"
    console.print(
        f"[bold]{'Manifesto' if it else 'Manifest'} {found['id']}[/]  {', '.join(found['partitions'][:12])}"
        f"{' …' if len(found['partitions']) > 12 else ''}",
        soft_wrap=True,
    )
    inputs = Table(
        "file",
        "ente" if it else "body",
        "esercizio" if it else "year",
        "SHA-256",
        "ricevuto" if it else "received",
        title="Dati" if it else "Inputs",
    )
    for u in found["inputs"]["uploads"]:
        inputs.add_row(
            u["original_name"],
            u["body"],
            f"{PHASE_WORDS[lang].get(u['phase'], u['phase'])} {u['year']}",
            u["sha256"][:12],
            u["received_at"][:19],
        )
    for n in found["inputs"]["national"]:
        inputs.add_row(n["file"], "BDAP", n["years"], n["sha256"][:12], str(n["loaded_at"])[:19])
    console.print(inputs)
    console.print(
        say(
            f"Cataloghi e regole: {len(found['catalogues'])} file con il loro SHA-256.",
            f"Catalogues and rules: {len(found['catalogues'])} files with their SHA-256.",
        )
    )
    changed = sorted({(p["asset"], p["parameters"]) for p in found["parameters"] if p["parameters"] != "{}"})
    said = [
        f"{path}: {value}" for asset, values in changed for path, value in _parameter_words(asset, values, lang).items()
    ]
    console.print(
        say("Parametri diversi dai file: ", "Parameters other than the files': ")
        + ("; ".join(said) or say("nessuno", "none")),
        soft_wrap=True,
    )
    code = found["code"]
    console.print(
        say("Codice: ", "Code: ")
        + f"areavasta {code['versions'].get('areavasta')}, {say('sorgenti', 'source')} {code['source_sha256'][:12]}; "
        + ", ".join(f"{k} {v}" for k, v in code["versions"].items() if k != "areavasta"),
        soft_wrap=True,
    )
    console.print(
        say(
            f"Esecuzioni: {len(found['runs'])}; risultati registrati: {len(found['outputs'])}",
            f"Runs: {len(found['runs'])}; outputs recorded: {len(found['outputs'])}",
        )
    )


@app.command()
def rerun(
    ref: Annotated[str, typer.Argument(help="Manifesto (codice), esecuzione Dagster (id) o 'ultimo'.")] = "ultimo",
    output: Annotated[
        Path | None, typer.Option("-o", "--output", help="Dove scrivere rapporti e cruscotti ricalcolati.")
    ] = None,
    lang: Lang = "it",
) -> None:
    """Ricalcola i risultati di un manifesto e li confronta byte per byte con quelli registrati."""
    import tempfile

    from pipelines.rerun import rerun as compute_again

    settings, found = _manifest_or_exit(ref)
    target = output or Path(tempfile.mkdtemp(prefix=f"areavasta-rerun-{found['id']}-"))
    report = compute_again(settings, found, target)
    if report.refused:
        console.print(say("Non si può ricalcolare allo stesso modo:", "It cannot be computed the same way:"))
        for italian, english in report.refused:
            console.print(f"  - {italian if lang != 'en' else english}", soft_wrap=True)
        raise typer.Exit(1)
    words = {
        "identical": say("identico", "identical"),
        "different": say("[red]diverso[/]", "[red]different[/]"),
        "missing": say("[red]mancante[/]", "[red]missing[/]"),
    }
    table = Table(say("risultato", "output"), say("confronto", "comparison"), title=str(target))
    for name, state in report.compared:
        table.add_row(name, words[state])
    console.print(table)
    same = sum(state == "identical" for _, state in report.compared)
    console.print(
        say(
            f"{same} di {len(report.compared)} identici byte per byte.",
            f"{same} of {len(report.compared)} identical byte for byte.",
        )
    )
    raise typer.Exit(0 if report.identical else 1)


@app.command()
def diff(
    body: Body = None,
    year: Year = None,
    phase: Phase = None,
    lang: Lang = "it",
    runs: Annotated[
        list[str] | None, typer.Option("--run", help="Due esecuzioni o manifesti da confrontare (--run A --run B).")
    ] = None,
) -> None:
    """Cosa è cambiato per un ente rispetto all'esercizio precedente (o tra due esecuzioni, --run A --run B):
    quadrante, fascia, segnalazioni e piano, con il perché."""
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
        )
    _print_changes(found, phase, lang)


def _print_changes(found: dict, phase: str | None, lang: str) -> None:
    from dashboards.words import label
    from sources.reference import body_name

    for (b, y, p), changes in sorted(found.items()):
        if phase and p != phase:
            continue
        console.print(f"[bold]{body_name(b)} - {PHASE_WORDS[lang].get(p, p)} {y}: {changes.title}[/]", soft_wrap=True)
        console.print(changes.note, soft_wrap=True)
        if changes.rows.height:
            table = Table(show_lines=True, expand=True)
            for column, ratio in zip(
                ["funzione", "nome", "che cosa", "prima", "dopo", "perché"]
                if lang == "it"
                else ["function", "name", "what", "before", "after", "why"],
                (1, 2, 2, 2, 2, 5),
            ):
                table.add_column(column, ratio=ratio, no_wrap=ratio == 1)
            kinds = label("change_kinds", lang)
            for r in changes.rows.iter_rows(named=True):
                table.add_row(
                    r["function"], r["name"], kinds.get(r["change"], r["change"]), r["before"], r["after"], r["reason"]
                )
            console.print(table)


def _parameter_words(asset: str, values: str, lang: str) -> dict[str, str]:
    """An asset's recorded run configuration (JSON) as words: path → value, e.g. «Matrice › Soglia … : 0,4»."""
    import json

    from dashboards.words import parameter_rows

    return {
        path: value for path, value in parameter_rows({asset: json.loads(values)}, lang) if value != "-"
    }  # "-": nothing set


def _parameter_change(asset: str, before: str, after: str, lang: str) -> str:
    was, now = _parameter_words(asset, before, lang), _parameter_words(asset, after, lang)
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
