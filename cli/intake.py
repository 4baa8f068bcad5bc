"""Files in: ``validate``, ``ingest``, ``national``, ``questionnaire``, ``ratings``, ``template``, ``sample``. The
register of what came in (``uploads``, ``confirm``, ``cancel``) is ``cli.register``; placing what a file's reader could
not, ``cli.mapping``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.progress import Progress
from rich.table import Table

from cli.app import (
    PHASE_WORDS,
    Body,
    Files,
    Lang,
    Phase,
    Year,
    app,
    console,
    findings_table,
    say,
)
from cli.register import HELD_EXIT, held_comparison
from sources.findings import Finding, findings_json
from sources.settings import load_settings
from transforms.figures import number


@app.command()
def validate(
    files: Files,
    body: Body = None,
    year: Year = None,
    phase: Phase = None,
    lang: Lang = "it",
    json_out: Annotated[Path | None, typer.Option("--json", help="Scrive i rilievi anche in JSON.")] = None,
) -> None:
    """Controlla i file senza caricarli (prova a secco). Esce con 1 se ci sono errori."""
    from sources.intake import validate_file
    from sources.layouts import profile

    settings = load_settings()
    all_findings: list[Finding] = []
    for path in files:
        result = validate_file(path, settings, body=body, year=year, phase=phase)
        all_findings += result.findings
        state = "[green]valido[/]" if result.ok else "[red]respinto[/]"
        if lang == "en":
            state = "[green]valid[/]" if result.ok else "[red]rejected[/]"
        layout = profile(result.layout).description(lang) if result.layout else "?"
        console.print(f"{path.name}: {state} - {layout} - {result.lines.height} {'righe' if lang == 'it' else 'rows'}")
    if all_findings:
        console.print(findings_table(all_findings, lang))
    if json_out:
        json_out.write_text(findings_json(all_findings, lang), encoding="utf-8")
    raise typer.Exit(1 if any(f.is_error for f in all_findings) else 0)


@app.command()
def ingest(
    files: Files,
    body: Body = None,
    year: Year = None,
    phase: Phase = None,
    lang: Lang = "it",
    user: Annotated[str | None, typer.Option("--user", help="Chi carica (per l'archivio).")] = None,
    replace: Annotated[
        bool,
        typer.Option(
            "--replace",
            help="Conferma in anticipo la sostituzione dei file in uso, anche se "
            "peggiora i dati (senza: il file resta in attesa di conferma).",
        ),
    ] = False,
) -> None:
    """Archivia e carica i file nel magazzino DuckDB (tutto o niente per ogni file)."""
    from sources.layouts import profile
    from sources.reference import body_name
    from warehouse.ingest import ingest_files
    from warehouse.loading import OUTCOME_WORDS

    settings = load_settings()
    with Progress(console=console, transient=True) as progress:
        task = progress.add_task("Caricamento" if lang == "it" else "Loading", total=len(files))
        outcomes = ingest_files(
            files,
            settings,
            body=body,
            year=year,
            phase=phase,
            user=user,
            replace=replace,
            on_done=lambda _: progress.advance(task),
        )
    summary = Table(header_style="bold", expand=True)  # fits 80 columns: the file column folds, never cuts a name
    it = lang == "it"
    summary.add_column("file", overflow="fold", ratio=1)
    for column in (
        "esito" if it else "outcome",
        "righe" if it else "rows",
        "errori" if it else "errors",
        "avvisi" if it else "warnings",
    ):
        summary.add_column(
            column, no_wrap=True, justify="right" if column != ("esito" if it else "outcome") else "left"
        )
    findings: list[Finding] = []
    for outcome in outcomes:
        v = outcome.validation
        findings += v.findings
        errors = sum(f.is_error for f in v.findings)
        parts = ", ".join(f"{body_name(b)} {PHASE_WORDS[lang].get(p, p)} {y}" for b, y, p in outcome.partitions[:3])
        parts += "…" if len(outcome.partitions) > 3 else ""
        layout = profile(v.layout).description(lang) if v.layout else ""
        detail = " · ".join(x for x in (layout, parts) if x)
        summary.add_row(
            f"{v.file}\n[dim]{detail}[/]" if detail else v.file,
            OUTCOME_WORDS[outcome.status][lang == "en"],
            number(v.line_count, lang),
            number(errors, lang),
            number(len(v.findings) - errors, lang),
        )
    console.print(summary)
    if findings:
        console.print(findings_table(findings, lang))
    for outcome in outcomes:
        if outcome.status == "held":
            console.print(held_comparison(outcome.receipt, lang))
    console.print(
        say(
            f"Magazzino: {settings.warehouse_path}  Archivio: {settings.archive_dir}",
            f"Warehouse: {settings.warehouse_path}  Archive: {settings.archive_dir}",
        ),
        soft_wrap=True,
    )
    raise typer.Exit(
        1
        if any(o.status == "rejected" for o in outcomes)
        else HELD_EXIT
        if any(o.status == "held" for o in outcomes)
        else 0
    )


@app.command()
def national(
    files: Files,
    lang: Lang = "it",
    user: Annotated[str | None, typer.Option("--user", help="Chi carica (per l'archivio).")] = None,
) -> None:
    """Carica estratti nazionali BDAP per programma (anche di molti GB): solo province e città metropolitane."""
    import getpass

    from pipelines.loaders import materialise_national
    from warehouse.loading import OUTCOME_WORDS

    settings = load_settings()
    it = lang == "it"
    summary = Table(header_style="bold", expand=True)
    summary.add_column("file", overflow="fold", ratio=1)
    for column in (
        "esito" if it else "outcome",
        "righe" if it else "lines",
        "enti" if it else "bodies",
        "esercizi" if it else "years",
        "secondi" if it else "seconds",
    ):
        summary.add_column(column, no_wrap=True)
    findings: list[Finding] = []
    outcomes = []
    for path in files:
        with console.status(say(f"Lettura di {path.name}…", f"Reading {path.name}…")):
            outcome = materialise_national(path, settings, user or getpass.getuser())
        outcomes.append(outcome)
        findings += outcome.findings
        years = f"{outcome.years[0]}-{outcome.years[-1]}" if outcome.years else ""
        phase = PHASE_WORDS[lang].get(outcome.phase or "", "")
        summary.add_row(
            path.name,
            OUTCOME_WORDS["accepted" if outcome.ok else "rejected"][not it],
            number(outcome.lines, lang),
            number(outcome.bodies, lang),
            f"{years} {phase}".strip(),
            number(outcome.seconds.get("total", 0), lang, 1),
        )
    console.print(summary)
    if findings:
        console.print(findings_table(findings, lang))
    console.print(
        say(
            f"Magazzino: {settings.warehouse_path} (tabella core.national_lines)  Archivio: {settings.archive_dir}",
            f"Warehouse: {settings.warehouse_path} (table core.national_lines)  Archive: {settings.archive_dir}",
        ),
        soft_wrap=True,
    )
    years = sorted({y for o in outcomes if o.ok for y in o.years})
    if years:  # peers and the reconciliation with each body's upload are computed by the pipeline
        again = " ".join(f"--year {y}" for y in years)
        console.print(
            say(
                f"Per aggiornare enti simili e confronti con i caricamenti: areavasta run {again}",
                f"To refresh peers and the comparison with the uploads: areavasta run {again}",
            ),
            soft_wrap=True,
        )
    raise typer.Exit(1 if any(not o.ok for o in outcomes) else 0)


@app.command()
def questionnaire(
    body: Annotated[str, typer.Option("--body", help="Ente (codice ISTAT, codice storico, sigla o nome).")],
    year: Annotated[int, typer.Option("--year")],
    output: Annotated[Path, typer.Option("-o", "--output", help="File xlsx da scrivere.")] = Path("questionario.xlsx"),
) -> None:
    """Scrive il questionario di co-valutazione (xlsx) da far compilare a utenti ed enti del Terzo settore."""
    from sources.questionnaire import write_questionnaire
    from sources.reference import resolve_body

    code = resolve_body(body)
    if code is None:
        console.print(f"[red]{Finding('BODY_UNKNOWN', params={'value': body}).message(say('it', 'en'))}[/]")
        raise typer.Exit(2)
    write_questionnaire(output, code, year)
    console.print(say(f"Questionario scritto: {output}", f"Questionnaire written: {output}"))


@app.command()
def ratings(
    files: Files,
    lang: Lang = "it",
    user: Annotated[str | None, typer.Option("--user", help="Chi carica (per l'archivio).")] = None,
) -> None:
    """Carica questionari di co-valutazione compilati (xlsx o csv):
    controllati come i bilanci, archiviati, in core.ratings."""
    import getpass

    from pipelines.loaders import materialise_ratings
    from warehouse.loading import OUTCOME_WORDS

    settings = load_settings()
    found: list[Finding] = []
    table = Table("file", say("esito", "outcome"), say("valutazioni", "ratings"), say("enti", "bodies"))
    for path in files:
        outcome = materialise_ratings(path, settings, user or getpass.getuser())
        found += outcome.findings
        table.add_row(
            path.name,
            OUTCOME_WORDS["accepted" if outcome.ok else "rejected"][lang == "en"],
            number(outcome.ratings.height, lang),
            ", ".join(sorted(set(outcome.ratings["body"]))),
        )
    console.print(table)
    if found:
        console.print(findings_table(found, lang))
    console.print(
        say(
            "Per aggiornare statistiche e priorità: areavasta run",
            "To refresh the statistics and priorities: areavasta run",
        )
    )
    raise typer.Exit(1 if any(f.is_error for f in found) else 0)


@app.command()
def template(
    body: Annotated[str, typer.Option("--body", help="Ente (codice ISTAT, codice storico, sigla o nome).")],
    year: Annotated[int, typer.Option("--year")],
    phase: Annotated[str, typer.Option("--phase", help="previsione o rendiconto.")],
    output: Annotated[Path, typer.Option("-o", "--output", help="File xlsx da scrivere.")] = Path("modello.xlsx"),
) -> None:
    """Scrive il modello xlsx da compilare per un ente, un esercizio e una fase."""
    from sources.metadata import normalise_phase
    from sources.reference import resolve_body
    from sources.template import write_template

    code = resolve_body(body)
    if code is None:
        console.print(f"[red]{Finding('BODY_UNKNOWN', params={'value': body}).message(say('it', 'en'))}[/]")
        raise typer.Exit(2)
    if normalise_phase(phase) is None:
        console.print(f"[red]{Finding('PHASE_UNKNOWN', params={'value': phase}).message(say('it', 'en'))}[/]")
        raise typer.Exit(2)
    write_template(output, code, year, normalise_phase(phase))
    console.print(say(f"Modello scritto: {output}", f"Template written: {output}"))


@app.command()
def sample(
    output: Annotated[Path, typer.Option("-o", "--output", help="Cartella dei file generati.")] = Path("var/samples"),
    bodies: Annotated[str, typer.Option(help="Enti separati da virgola, o 'all'.")] = "237,036,097",
    years: Annotated[str, typer.Option(help="Anni, es. 2023-2025 o 2024,2025.")] = "2024-2025",
    phases: Annotated[str, typer.Option(help="Fasi separate da virgola.")] = "previsione,rendiconto",
    layouts: Annotated[
        str, typer.Option(help="Formati separati da virgola (e 'ratings' per i questionari), o 'all'.")
    ] = "all",
    seed: Annotated[int, typer.Option(help="Seme: stessi argomenti, stessi file.")] = 0,
) -> None:
    """Genera bilanci di esempio realistici (deterministici) in ogni formato supportato."""
    from sources.samples.writer import write_samples

    paths = write_samples(output, bodies, years, phases, layouts, seed)
    console.print(say(f"{len(paths)} file scritti in {output}", f"{len(paths)} files written in {output}"))
