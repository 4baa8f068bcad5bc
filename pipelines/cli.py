"""The ``areavasta`` command line.

Exit codes: 0 everything accepted (or valid); 1 at least one file has errors (rejected);
2 wrong usage (unknown option, missing file).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console, Group
from rich.padding import Padding
from rich.progress import Progress
from rich.table import Table
from rich.text import Text

from pipelines.cli_language import command_help, language, speak
from sources.findings import Finding, findings_json
from sources.settings import load_settings

speak(language())
# no locals in a crash report: a frame holding a national extract took minutes and gigabytes to print (2026-12-03)
app = typer.Typer(add_completion=False, no_args_is_help=True, pretty_exceptions_show_locals=False,
                  help="areavasta: bilanci delle province e città metropolitane.")
console = Console()

def _command_lang(value: str) -> str:
    """A command's own --lang holds for everything that command prints (restored when it ends, see ``everywhere``)."""
    import os

    os.environ["AREAVASTA_LANG"] = value
    speak(value)
    return value  # (a command's own help is already printed by then: "--lang en" before the command translates it)


Lang = Annotated[str, typer.Option("--lang", envvar="AREAVASTA_LANG", callback=_command_lang, help="Lingua dei messaggi: it o en.")]


@app.callback()
def everywhere(ctx: typer.Context,
               lang: Annotated[str, typer.Option("--lang", envvar="AREAVASTA_LANG",
                                                 help="Lingua di tutti i comandi: it o en (anche AREAVASTA_LANG).")] = "it") -> None:
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
Body = Annotated[str | None, typer.Option("--body", help="Ente: codice ISTAT (237), codice storico (037), sigla (BO) o nome.")]
Year = Annotated[int | None, typer.Option("--year", help="Esercizio di bilancio.")]
Phase = Annotated[str | None, typer.Option("--phase", help="previsione o rendiconto.")]
PeerGroup = Annotated[str | None, typer.Option("--peer-group", help="Enti simili: population (stesso tipo, popolazione comparabile), "
                                                                    "type (stesso tipo), region (stessa regione) o list (con --peers).")]
Peers = Annotated[str | None, typer.Option("--peers", help="Enti simili scelti uno per uno, separati da virgola (codice ISTAT, sigla o nome).")]
Files = Annotated[list[Path], typer.Argument(exists=True, dir_okay=False, readable=True, help="File da leggere (xlsx o csv).")]


PHASE_WORDS = {"it": {"rendiconto": "rendiconto", "previsione": "previsione"}, "en": {"rendiconto": "final accounts", "previsione": "forecast"}}
def say(italian: str, english: str) -> str:
    """The text in the command line's language (``--lang`` anywhere, or ``AREAVASTA_LANG``)."""
    import os

    return english if os.environ.get("AREAVASTA_LANG") == "en" else italian


SEVERITY_WORDS = {"it": {"error": "errore", "warning": "avviso", "info": "nota"}, "en": {"error": "error", "warning": "warning", "info": "note"}}
SEVERITY_STYLE = {"error": "red", "warning": "yellow", "info": "cyan"}


def _findings_table(findings: list[Finding], lang: str, limit: int = 60) -> Group:
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
            where.append((f"cella {finding.cell}" if lang == "it" else f"cell {finding.cell}") if finding.cell else
                         (f"riga {finding.row}" if lang == "it" else f"row {finding.row}"))
        if finding.sheet:
            where.append(f"foglio {finding.sheet}" if lang == "it" else f"sheet {finding.sheet}")
        head = ", ".join([SEVERITY_WORDS[lang].get(finding.severity, finding.severity), *where])
        text = Text("• ", overflow="fold")
        text.append(head, style=SEVERITY_STYLE.get(finding.severity, ""))
        text.append(": " + finding.message(lang))
        lines.append(Padding(text, (0, 0, 0, 2)))  # wrapped lines stay indented under their bullet
    if len(findings) > limit:
        lines.append(Text(f"… e altri {len(findings) - limit}" if lang == "it" else f"… and {len(findings) - limit} more"))
    return Group(*lines)


@app.command()
def validate(files: Files, body: Body = None, year: Year = None, phase: Phase = None, lang: Lang = "it",
             json_out: Annotated[Path | None, typer.Option("--json", help="Scrive i rilievi anche in JSON.")] = None) -> None:
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
        console.print(_findings_table(all_findings, lang))
    if json_out:
        json_out.write_text(findings_json(all_findings, lang), encoding="utf-8")
    raise typer.Exit(1 if any(f.is_error for f in all_findings) else 0)


@app.command()
def ingest(files: Files, body: Body = None, year: Year = None, phase: Phase = None, lang: Lang = "it",
           user: Annotated[str | None, typer.Option("--user", help="Chi carica (per l'archivio).")] = None,
           replace: Annotated[bool, typer.Option("--replace", help="Conferma in anticipo la sostituzione dei file in uso, anche se "
                                                 "peggiora i dati (senza: il file resta in attesa di conferma).")] = False) -> None:
    """Archivia e carica i file nel magazzino DuckDB (tutto o niente per ogni file)."""
    from pipelines.cli_uploads import HELD_EXIT, held_comparison
    from pipelines.loading import OUTCOME_WORDS, ingest_files
    from sources.layouts import profile
    from sources.reference import body_name

    settings = load_settings()
    with Progress(console=console, transient=True) as progress:
        task = progress.add_task("Caricamento" if lang == "it" else "Loading", total=len(files))
        outcomes = ingest_files(files, settings, body=body, year=year, phase=phase, user=user, replace=replace,
                                on_done=lambda _: progress.advance(task))
    summary = Table(header_style="bold", expand=True)  # fits 80 columns: the file column folds, never cuts a name
    it = lang == "it"
    summary.add_column("file", overflow="fold", ratio=1)
    for column in ("esito" if it else "outcome", "righe" if it else "rows", "errori" if it else "errors", "avvisi" if it else "warnings"):
        summary.add_column(column, no_wrap=True, justify="right" if column != ("esito" if it else "outcome") else "left")
    findings: list[Finding] = []
    for outcome in outcomes:
        v = outcome.validation
        findings += v.findings
        errors = sum(f.is_error for f in v.findings)
        parts = ", ".join(f"{body_name(b)} {PHASE_WORDS[lang].get(p, p)} {y}" for b, y, p in outcome.partitions[:3])
        parts += "…" if len(outcome.partitions) > 3 else ""
        layout = profile(v.layout).description(lang) if v.layout else ""
        detail = " · ".join(x for x in (layout, parts) if x)
        summary.add_row(f"{v.file}\n[dim]{detail}[/]" if detail else v.file, OUTCOME_WORDS[outcome.status][lang == "en"],
                        str(v.line_count), str(errors), str(len(v.findings) - errors))
    console.print(summary)
    if findings:
        console.print(_findings_table(findings, lang))
    for outcome in outcomes:
        if outcome.status == "held":
            console.print(held_comparison(outcome.receipt, lang))
    console.print(say(f"Magazzino: {settings.warehouse_path}  Archivio: {settings.archive_dir}",
                      f"Warehouse: {settings.warehouse_path}  Archive: {settings.archive_dir}"), soft_wrap=True)
    raise typer.Exit(1 if any(o.status == "rejected" for o in outcomes) else HELD_EXIT if any(o.status == "held" for o in outcomes) else 0)


@app.command()
def national(files: Files, lang: Lang = "it",
             user: Annotated[str | None, typer.Option("--user", help="Chi carica (per l'archivio).")] = None) -> None:
    """Carica estratti nazionali BDAP per programma (anche di molti GB): solo province e città metropolitane."""
    import getpass

    from pipelines.loading import OUTCOME_WORDS
    from pipelines.national import load_national

    settings = load_settings()
    it = lang == "it"
    summary = Table(header_style="bold", expand=True)
    summary.add_column("file", overflow="fold", ratio=1)
    for column in ("esito" if it else "outcome", "righe" if it else "lines", "enti" if it else "bodies", "esercizi" if it else "years",
                   "secondi" if it else "seconds"):
        summary.add_column(column, no_wrap=True)
    findings: list[Finding] = []
    outcomes = []
    for path in files:
        with console.status(say(f"Lettura di {path.name}…", f"Reading {path.name}…")):
            outcome = load_national(path, settings, user or getpass.getuser())
        outcomes.append(outcome)
        findings += outcome.findings
        years = f"{outcome.years[0]}-{outcome.years[-1]}" if outcome.years else ""
        phase = PHASE_WORDS[lang].get(outcome.phase or "", "")
        summary.add_row(path.name, OUTCOME_WORDS["accepted" if outcome.ok else "rejected"][not it], f"{outcome.lines:,}".replace(",", "." if it else ","),
                        str(outcome.bodies), f"{years} {phase}".strip(), f"{outcome.seconds.get('total', 0):.1f}")
    console.print(summary)
    if findings:
        console.print(_findings_table(findings, lang))
    console.print(say(f"Magazzino: {settings.warehouse_path} (tabella core.national_lines)  Archivio: {settings.archive_dir}",
                      f"Warehouse: {settings.warehouse_path} (table core.national_lines)  Archive: {settings.archive_dir}"), soft_wrap=True)
    years = sorted({y for o in outcomes if o.ok for y in o.years})
    if years:  # peers and the reconciliation with each body's upload are computed by the pipeline
        again = " ".join(f"--year {y}" for y in years)
        console.print(say(f"Per aggiornare enti simili e confronti con i caricamenti: areavasta run {again}",
                          f"To refresh peers and the comparison with the uploads: areavasta run {again}"), soft_wrap=True)
    raise typer.Exit(1 if any(not o.ok for o in outcomes) else 0)


@app.command()
def questionnaire(body: Annotated[str, typer.Option("--body", help="Ente (codice ISTAT, codice storico, sigla o nome).")],
                  year: Annotated[int, typer.Option("--year")],
                  output: Annotated[Path, typer.Option("-o", "--output", help="File xlsx da scrivere.")] = Path("questionario.xlsx")) -> None:
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
def ratings(files: Files, lang: Lang = "it",
            user: Annotated[str | None, typer.Option("--user", help="Chi carica (per l'archivio).")] = None) -> None:
    """Carica questionari di co-valutazione compilati (xlsx o csv): controllati come i bilanci, archiviati, in core.ratings."""
    import getpass

    from pipelines.loading import OUTCOME_WORDS
    from pipelines.ratings import load_ratings

    settings = load_settings()
    found: list[Finding] = []
    table = Table("file", say("esito", "outcome"), say("valutazioni", "ratings"), say("enti", "bodies"))
    for path in files:
        outcome = load_ratings(path, settings, user or getpass.getuser())
        found += outcome.findings
        table.add_row(path.name, OUTCOME_WORDS["accepted" if outcome.ok else "rejected"][lang == "en"], str(outcome.ratings.height),
                      ", ".join(sorted(set(outcome.ratings["body"]))))
    console.print(table)
    if found:
        console.print(_findings_table(found, lang))
    console.print(say("Per aggiornare statistiche e priorità: areavasta run", "To refresh the statistics and priorities: areavasta run"))
    raise typer.Exit(1 if any(f.is_error for f in found) else 0)


@app.command()
def mapping(file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, readable=True, help="Il file respinto (xlsx o csv).")],
            body: Body = None, year: Year = None, phase: Phase = None, lang: Lang = "it",
            apply: Annotated[Path | None, typer.Option("--apply", exists=True, dir_okay=False,
                                                          help="La mappa compilata da verificare e salvare per l'ente.")] = None,
            output: Annotated[Path | None, typer.Option("-o", "--output", help="Dove scrivere la mappa da compilare.")] = None,
            user: Annotated[str | None, typer.Option("--user", help="Chi salva la mappa.")] = None) -> None:
    """Dice cosa sono le colonne o righe che areavasta non sa collocare: scrive la mappa da compilare,
    oppure (--apply) la verifica sul file e la salva per l'ente, che la ritroverà negli anni successivi."""
    import getpass

    from sources import mappings
    from sources.intake import validate_file

    settings = load_settings()
    plain = validate_file(file, settings, body=body, year=year, phase=phase)
    it = lang != "en"
    if not plain.unplaced:
        console.print("Nel file non ci sono colonne o righe da collocare." if it else "The file has no columns or rows to place.")
        if plain.findings:
            console.print(_findings_table(plain.findings, lang))
        raise typer.Exit(0 if plain.ok else 1)
    if apply is None:
        text = mappings.skeleton(file.name, plain.layout or "?", plain.body, plain.unplaced)
        target = output or file.with_name(file.stem + ".mappa.yaml")
        target.write_text(text, encoding="utf-8")
        console.print(f"Mappa da compilare scritta in {target}: {len(plain.unplaced)} voci." if it
                       else f"Mapping to fill in written to {target}: {len(plain.unplaced)} entries.")
        raise typer.Exit(0)
    parsed, problems = mappings.parse(apply.read_text(encoding="utf-8"), apply.name)
    if parsed is None:
        console.print(_findings_table(problems, lang))
        raise typer.Exit(1)
    result = validate_file(file, settings, body=body, year=year, phase=phase, mapping=parsed)
    if not result.ok or result.unplaced or not plain.body:
        if not plain.body:
            result.findings.insert(0, Finding("BODY_MISSING", file=file.name))
        console.print(_findings_table(result.findings, lang))
        console.print("La mappa non è stata salvata: il file resta respinto." if it else "The mapping was not saved: the file is still rejected.")
        raise typer.Exit(1)
    path = mappings.store(settings, plain.body, plain.fingerprint, parsed, layout=plain.layout, file_name=file.name,
                          user=user or getpass.getuser())
    console.print(f"Mappa verificata e salvata ({path}): il file ora è valido ({result.lines.height} righe) e la mappa "
                   "sarà applicata da sola ai prossimi file dell'ente con le stesse colonne." if it else
                   f"Mapping checked and saved ({path}): the file is now valid ({result.lines.height} rows) and the mapping "
                   "will be applied by itself to this body's next files with the same columns.")
    if result.findings:
        console.print(_findings_table(result.findings, lang))
    raise typer.Exit(0)


@app.command()
def template(body: Annotated[str, typer.Option("--body", help="Ente (codice ISTAT, codice storico, sigla o nome).")],
             year: Annotated[int, typer.Option("--year")],
             phase: Annotated[str, typer.Option("--phase", help="previsione o rendiconto.")],
             output: Annotated[Path, typer.Option("-o", "--output", help="File xlsx da scrivere.")] = Path("modello.xlsx")) -> None:
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
def sample(output: Annotated[Path, typer.Option("-o", "--output", help="Cartella dei file generati.")] = Path("var/samples"),
           bodies: Annotated[str, typer.Option(help="Enti separati da virgola, o 'all'.")] = "237,036,097",
           years: Annotated[str, typer.Option(help="Anni, es. 2023-2025 o 2024,2025.")] = "2024-2025",
           phases: Annotated[str, typer.Option(help="Fasi separate da virgola.")] = "previsione,rendiconto",
           layouts: Annotated[str, typer.Option(help="Formati separati da virgola (e 'ratings' per i questionari), o 'all'.")] = "all",
           seed: Annotated[int, typer.Option(help="Seme: stessi argomenti, stessi file.")] = 0) -> None:
    """Genera bilanci di esempio realistici (deterministici) in ogni formato supportato."""
    from sources.samples.writer import write_samples

    paths = write_samples(output, bodies, years, phases, layouts, seed)
    console.print(say(f"{len(paths)} file scritti in {output}", f"{len(paths)} files written in {output}"))


@app.command()
def demo(inbox: Annotated[Path, typer.Option(help="Cartella dei file di esempio inclusi.")] = Path("demo/inbox")) -> None:
    """Carica i bilanci di esempio inclusi e dice dove sono i risultati."""
    from pipelines.demo import run_demo

    raise typer.Exit(run_demo(inbox, console))


@app.command()
def classify(body: Body = None, year: Year = None, phase: Phase = None, lang: Lang = "it",
             overrides: Annotated[Path | None, typer.Option("--overrides", exists=True, dir_okay=False,
                                                             help="File YAML di modifiche al catalogo dell'autorità.")] = None,
             spending_threshold: Annotated[float | None, typer.Option(help="Soglia della quota di trasferimenti (0-1).")] = None,
             authority_threshold: Annotated[float | None, typer.Option(help="Soglia del grado di autorità (0-1).")] = None,
             cost_basis: Annotated[str | None, typer.Option(help="Base di costo: direct (costo diretto) o full (costo pieno, "
                                                                 "con i servizi generali ripartiti).")] = None,
             output: Annotated[Path | None, typer.Option("-o", "--output", help="Cartella dei risultati.")] = None) -> None:
    """Classifica ogni funzione nella matrice di Ruffini (gli asset Dagster, con queste soglie) e scrive i risultati (CSV)."""
    from pipelines import manifest, stages, warehouse
    from pipelines.classification import stored_classification, write_outputs
    from sources.overrides import read_yaml

    settings = load_settings()
    if overrides:
        _, problems = read_yaml(overrides, user=getpass_user())
        if problems:
            console.print(_findings_table(problems, lang))
            raise typer.Exit(1)
    keys = _selection(settings, body, year)
    config = {"ruffini_matrix": {"spending_threshold": spending_threshold, "authority_threshold": authority_threshold, "cost_basis": cost_basis},
              "authority_scores": {"overrides_file": str(overrides.resolve()) if overrides else None, "overrides_user": getpass_user()}}
    _run(settings, keys, config, ("body_1",))
    with warehouse.connect(settings.warehouse_path) as con:
        result = stored_classification(con, keys, phase, stages.matrix_parameters(spending_threshold, authority_threshold, cost_basis))
        computed_from = manifest.build(con, keys).id if keys.height else None  # the CSVs name what they were computed from
    if result.functions.is_empty():
        console.print("Nessun dato nel magazzino per questa selezione." if lang == "it" else "No data in the warehouse for this selection.")
        raise typer.Exit(1)
    _print_classification(result, lang)
    paths = write_outputs(result, output or settings.outputs_dir / "classification", computed_from)
    console.print(("Risultati: " if lang == "it" else "Results: ") + paths["functions"], soft_wrap=True)


def _peer_config(group: str | None, peers: str | None) -> dict:
    """``--peer-group`` and ``--peers`` as the run configuration of ``peer_benchmarks``; exits 2 on a wrong value or body."""
    from sources.reference import resolve_body
    from transforms.peers import RULES

    if group is not None and group not in RULES:
        console.print(say(f"[red]Gruppo di enti simili '{group}' sconosciuto: {' | '.join(RULES)}.[/]",
                          f"[red]Unknown peer group '{group}': {' | '.join(RULES)}.[/]"))
        raise typer.Exit(2)
    names = [p.strip() for p in (peers or "").split(",") if p.strip()]
    codes = [resolve_body(p) for p in names]
    if None in codes:
        unknown = ", ".join(n for n, c in zip(names, codes) if c is None)
        console.print(f"[red]{Finding('BODY_UNKNOWN', params={'value': unknown}).message(say('it', 'en'))}[/]")
        raise typer.Exit(2)
    if group == "list" and not codes:
        console.print(say("[red]--peer-group list vuole l'elenco degli enti: --peers 002,003.[/]",
                          "[red]--peer-group list needs the bodies: --peers 002,003.[/]"))
        raise typer.Exit(2)
    group = group or ("list" if codes else None)  # bodies named one by one: the group is that list
    config = {**({"peer_group": group} if group else {}), **({"peers": codes} if codes else {})}
    return {"peer_benchmarks": config} if config else {}


def _selection(settings, body: str | None, year: int | None):
    """The (body, year) keys the warehouse holds for the selection; exits when there are none."""
    from pipelines import stages, warehouse
    from sources.reference import resolve_body

    code = resolve_body(body) if body else None
    if body and code is None:
        console.print(f"[red]{Finding('BODY_UNKNOWN', params={'value': body}).message(say('it', 'en'))}[/]")
        raise typer.Exit(2)
    with warehouse.connect(settings.warehouse_path) as con:
        keys = stages.present_keys(con)
    keys = keys.filter(keys["body"] == code) if code else keys
    keys = keys.filter(keys["year"] == year) if year else keys
    if keys.is_empty():
        console.print(say("Nessun dato nel magazzino per questa selezione: caricare prima i file (areavasta ingest).",
                          "No data in the warehouse for this selection: load the files first (areavasta ingest)."))
        raise typer.Exit(1)
    return keys


def _recover(instance) -> None:
    """Runs left unfinished by a command that was killed would block this one: close them, and say so."""
    from pipelines.runner import recover_stale_runs

    recovered = recover_stale_runs(instance)
    if recovered:
        runs = ", ".join(r[:8] for r in recovered)
        console.print(say(f"[yellow]Recuperate {len(recovered)} esecuzioni interrotte (processo terminato): {runs}; "
                          "il magazzino è tornato libero.[/]",
                          f"[yellow]Recovered {len(recovered)} interrupted runs (process ended): {runs}; the warehouse is free again.[/]"))


def _run(settings, keys, config: dict, stage_names: tuple[str, ...]) -> None:
    """Materialise the assets in process, on the embedded instance, with the command line's run configuration."""
    from pipelines.instance import embedded_instance
    from pipelines.runner import run_pipeline

    bodies = sorted(keys["body"].unique().to_list())
    years = sorted(keys["year"].unique().to_list())
    instance = embedded_instance(settings.home)
    _recover(instance)
    results = run_pipeline(instance, years, bodies, home=str(settings.home), config=config, stages=stage_names)
    if not all(r.success for r in results):
        console.print(say("[red]Un'esecuzione della pipeline non è riuscita: vedere l'interfaccia Dagster.[/]",
                          "[red]A pipeline run failed: see the Dagster UI.[/]"))
        raise typer.Exit(1)


def getpass_user() -> str:
    import getpass

    return getpass.getuser()


def _print_classification(result, lang: str) -> None:
    import polars as pl

    functions = result.functions
    for (body, year, phase), part in functions.sort("body", "year", "phase").group_by(["body", "year", "phase"], maintain_order=True):
        table = Table(title=f"{body} {year} {phase}", header_style="bold", show_lines=False)
        for column in ("funzione" if lang == "it" else "function", "quadrante" if lang == "it" else "quadrant",
                       "trasf." if lang == "it" else "transf.", "autorità" if lang == "it" else "authority", "!", "spiegazione" if lang == "it" else "explanation"):
            table.add_column(column, overflow="fold")
        for row in part.sort(pl.col("quadrant").is_null(), "function").iter_rows(named=True):
            share = "" if row["transfer_share"] is None else f"{row['transfer_share']:.0%}"
            authority = "" if row["authority"] is None else f"{row['authority']:.2f}"
            flag = ("≈" if row["borderline"] else "") + ("✎" if row["override_note"] else "")
            explanation = (row[f"explanation_{lang}"] or "") + (f" [override: {row['override_note']}]" if row["override_note"] else "")
            table.add_row(row["function"], row["quadrant"] or "—", share, authority, flag, explanation)
        console.print(table)
    console.print("≈ vicino a una soglia, ✎ modificato dall'ente" if lang == "it" else "≈ near a threshold, ✎ changed by the body")


@app.command()
def report(body: Body = None, year: Year = None, phase: Phase = None, lang: Lang = "it",
           output: Annotated[Path | None, typer.Option("-o", "--output", help="Cartella dei rapporti.")] = None,
           peer_group: PeerGroup = None, peers: Peers = None) -> None:
    """Priorità, piano di riassetto, scenari, rapporto Excel e DUP (Word) per ogni ente e anno del magazzino (gli asset Dagster)."""
    settings = load_settings()
    keys = _selection(settings, body, year)
    folder = (output or settings.outputs_dir / "reports").resolve()
    _run(settings, keys, {"report_workbooks": {"lang": lang, "phase": phase, "folder": str(folder)}, **_peer_config(peer_group, peers)},
         ("body_1", "year_1", "body_2", "year_2", "body_reports"))
    suffix = "" if lang == "it" else f"_{lang}"
    for b, y in keys.select("body", "year").rows():
        for path in sorted(folder.glob(f"{b}_{y}_*{suffix}.xlsx")):
            if (phase is None or f"_{phase}" in path.stem) and (suffix or path.stem.count("_") == 2):
                console.print(say(f"Rapporto: {path}", f"Report: {path}"), soft_wrap=True)
                if path.with_suffix(".docx").exists():
                    console.print(say(f"Documento DUP (Word): {path.with_suffix('.docx')}", f"DUP document (Word): {path.with_suffix('.docx')}"),
                                  soft_wrap=True)


@app.command()
def run(body: Annotated[list[str] | None, typer.Option("--body", help="Ente (anche più volte); tutti se omesso.")] = None,
        year: Annotated[list[int] | None, typer.Option("--year", help="Esercizio (anche più volte); tutti quelli caricati se omesso.")] = None,
        scenario: Annotated[str | None, typer.Option("--scenario", help="Esegue gli asset con i parametri di uno scenario (data/scenarios).")] = None,
        peer_group: PeerGroup = None, peers: Peers = None) -> None:
    """Esegue la pipeline Dagster (istanza locale) per gli enti e gli anni indicati e dice dove sono i risultati."""
    from pipelines import warehouse
    from pipelines.instance import embedded_instance
    from pipelines.runner import run_pipeline
    from sources.reference import resolve_body

    settings = load_settings()
    with warehouse.connect(settings.warehouse_path) as con:
        loaded = sorted(set(warehouse.analysed_keys(con)["year"]))  # uploads and national open data
    years = year or loaded
    if not years:
        console.print(say("Nessun dato nel magazzino: caricare prima i file (areavasta ingest).",
                          "No data in the warehouse: load the files first (areavasta ingest)."))
        raise typer.Exit(1)
    codes = [resolve_body(b) for b in body] if body else None
    if codes and None in codes:
        console.print(f"[red]{Finding('BODY_UNKNOWN', params={'value': ', '.join(body)}).message(say('it', 'en'))}[/]")
        raise typer.Exit(2)
    config = None
    if scenario:
        from pipelines.report import scenario_by_name, scenario_run_config

        try:
            config = scenario_run_config(scenario_by_name(scenario).get("changes") or {})
        except KeyError:
            console.print(say(f"[red]Scenario '{scenario}' sconosciuto.[/]", f"[red]Unknown scenario '{scenario}'.[/]"))
            raise typer.Exit(2) from None
    config = {**(config or {}), **_peer_config(peer_group, peers)} or None
    instance = embedded_instance(settings.home)
    _recover(instance)
    results = run_pipeline(instance, years, codes, home=str(settings.home), config=config)
    ok = sum(r.success for r in results)
    console.print(say(f"Esecuzioni: {len(results)}, riuscite: {ok}", f"Runs: {len(results)}, succeeded: {ok}"))
    reports = settings.outputs_dir / "reports"
    console.print(say(f"Rapporti: {reports}  Magazzino: {settings.warehouse_path}", f"Reports: {reports}  Warehouse: {settings.warehouse_path}"),
                  soft_wrap=True)
    raise typer.Exit(0 if all(r.success for r in results) else 1)


@app.command()
def dashboards(body: Body = None, year: Year = None, lang: Lang = "it",
               export: Annotated[bool, typer.Option("--export", help="Esporta anche ogni grafico in PNG e SVG.")] = False) -> None:
    """Scrive le pagine dei cruscotti (offline) per ciò che il magazzino contiene; la pipeline deve essere già stata eseguita."""
    from pipelines import warehouse

    settings = load_settings()
    keys = _selection(settings, body, year)
    with warehouse.connect(settings.warehouse_path) as con:
        analysed = warehouse.read_table(con, "ruffini_matrix", keys, ["body"])
    if analysed.is_empty():
        console.print(say("Nessun dato analizzato: eseguire prima 'areavasta run'.", "Nothing analysed yet: run 'areavasta run' first."))
        raise typer.Exit(1)
    _run(settings, keys, {"dashboard_pages": {"lang": lang, "export": export}}, ("body_pages",))
    index = settings.outputs_dir / "dashboards" / ("index.html" if lang == "it" else f"index_{lang}.html")
    console.print(say(f"Pagine scritte; indice: {index}", f"Pages written; index: {index}"), soft_wrap=True)


@app.command()
def serve(host: Annotated[str, typer.Option(help="Indirizzo di ascolto.")] = "127.0.0.1",
          port: Annotated[int, typer.Option(help="Porta.")] = 8000) -> None:
    """Avvia il portale di caricamento (http://127.0.0.1:8000). I file accettati vanno nell'inbox della pipeline."""
    import uvicorn

    from dashboards.portal import create_app, server_options

    options = server_options()  # X-Forwarded-For only from AREAVASTA_TRUSTED_PROXIES (docs/PORTAL.md)
    uvicorn.run(create_app(), host=host, port=port, **options)


users = typer.Typer(help="Account del portale (amministratore).", no_args_is_help=True)
app.add_typer(users, name="user")


@users.command("add")
def user_add(username: str, role: Annotated[str, typer.Option(help="officer, planner o admin.")] = "officer",
             body: Body = None) -> None:
    """Crea un account; stampa la password iniziale una sola volta."""
    from dashboards import accounts
    from sources.reference import resolve_body

    code = resolve_body(body) if body else None
    import sqlite3

    try:
        password = accounts.add_user(load_settings(), username, role, code)
    except sqlite3.IntegrityError:
        console.print("[red]" + say(f"L'utente {username} esiste già: per una nuova password, areavasta user reset {username}.",
                                    f"The user {username} already exists: for a new password, areavasta user reset {username}.") + "[/]")
        raise typer.Exit(2) from None
    except ValueError:  # unknown role, officer without body
        console.print("[red]" + say("Ruolo officer, planner o admin; un officer appartiene a un ente (--body).",
                                    "Role officer, planner or admin; an officer belongs to one body (--body).") + "[/]")
        raise typer.Exit(2) from None
    where = f"{role}{', ' + code if code else ''}"
    console.print(say(f"Creato {username} ({where}). Password iniziale: {password}", f"Created {username} ({where}). Initial password: {password}"))


@users.command("disable")
def user_disable(username: str) -> None:
    """Disattiva un account."""
    from dashboards import accounts

    raise typer.Exit(0 if accounts.set_active(load_settings(), username, False) else 1)


@users.command("reset")
def user_reset(username: str) -> None:
    """Genera una nuova password per un account."""
    from dashboards import accounts

    password = accounts.reset_password(load_settings(), username)
    if password is None:
        raise typer.Exit(1)
    console.print(say(f"Nuova password di {username}: {password}", f"New password for {username}: {password}"))


def _manifest_or_exit(ref: str):
    """Settings and the manifest ``ref`` names (an id, a Dagster run id, or ``ultimo``); exit 1 in words when none or several match."""
    from pipelines import manifest as manifests
    from pipelines import warehouse

    settings = load_settings()
    with warehouse.connect(settings.warehouse_path) as con:
        found = manifests.find(settings, con, ref)
    if found is None:
        console.print(say(f"Nessun manifesto per '{ref}' (uno solo deve corrispondere).", f"No manifest for '{ref}' (exactly one must match)."))
        raise typer.Exit(1)
    return settings, found


@app.command()
def manifest(ref: Annotated[str, typer.Argument(help="Manifesto (codice), esecuzione Dagster (id) o 'ultimo'.")] = "ultimo",
             as_json: Annotated[bool, typer.Option("--json", help="Il manifesto intero, in JSON.")] = False, lang: Lang = "it") -> None:
    """Mostra il manifesto di un'esecuzione: file ricevuti, cataloghi e regole, parametri, versione del codice, risultati."""
    import json

    _, found = _manifest_or_exit(ref)
    if as_json:
        console.print_json(json.dumps(found, default=str))
        return
    it = lang != "en"
    console.print(f"[bold]{'Manifesto' if it else 'Manifest'} {found['id']}[/]  {', '.join(found['partitions'][:12])}"
                  f"{' …' if len(found['partitions']) > 12 else ''}", soft_wrap=True)
    inputs = Table("file", "ente" if it else "body", "esercizio" if it else "year", "SHA-256", "ricevuto" if it else "received",
                   title="Dati" if it else "Inputs")
    for u in found["inputs"]["uploads"]:
        inputs.add_row(u["original_name"], u["body"], f"{PHASE_WORDS[lang].get(u['phase'], u['phase'])} {u['year']}", u["sha256"][:12],
                       u["received_at"][:19])
    for n in found["inputs"]["national"]:
        inputs.add_row(n["file"], "BDAP", n["years"], n["sha256"][:12], str(n["loaded_at"])[:19])
    console.print(inputs)
    console.print(say(f"Cataloghi e regole: {len(found['catalogues'])} file con il loro SHA-256.",
                      f"Catalogues and rules: {len(found['catalogues'])} files with their SHA-256."))
    changed = sorted({(p["asset"], p["parameters"]) for p in found["parameters"] if p["parameters"] != "{}"})
    said = [f"{path}: {value}" for asset, values in changed for path, value in _parameter_words(asset, values, lang).items()]
    console.print(say("Parametri diversi dai file: ", "Parameters other than the files': ") + ("; ".join(said) or say("nessuno", "none")),
                  soft_wrap=True)
    code = found["code"]
    console.print(say("Codice: ", "Code: ") + f"areavasta {code['versions'].get('areavasta')}, {say('sorgenti', 'source')} {code['source_sha256'][:12]}; "
                  + ", ".join(f"{k} {v}" for k, v in code["versions"].items() if k != "areavasta"), soft_wrap=True)
    console.print(say(f"Esecuzioni: {len(found['runs'])}; risultati registrati: {len(found['outputs'])}",
                      f"Runs: {len(found['runs'])}; outputs recorded: {len(found['outputs'])}"))


@app.command()
def rerun(ref: Annotated[str, typer.Argument(help="Manifesto (codice), esecuzione Dagster (id) o 'ultimo'.")] = "ultimo",
          output: Annotated[Path | None, typer.Option("-o", "--output", help="Dove scrivere rapporti e cruscotti ricalcolati.")] = None,
          lang: Lang = "it") -> None:
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
    words = {"identical": say("identico", "identical"), "different": say("[red]diverso[/]", "[red]different[/]"),
             "missing": say("[red]mancante[/]", "[red]missing[/]")}
    table = Table(say("risultato", "output"), say("confronto", "comparison"), title=str(target))
    for name, state in report.compared:
        table.add_row(name, words[state])
    console.print(table)
    same = sum(state == "identical" for _, state in report.compared)
    console.print(say(f"{same} di {len(report.compared)} identici byte per byte.", f"{same} of {len(report.compared)} identical byte for byte."))
    raise typer.Exit(0 if report.identical else 1)


@app.command()
def diff(body: Body = None, year: Year = None, phase: Phase = None, lang: Lang = "it",
         runs: Annotated[list[str] | None, typer.Option("--run", help="Due esecuzioni o manifesti da confrontare (--run A --run B).")] = None) -> None:
    """Cosa è cambiato per un ente rispetto all'esercizio precedente (o tra due esecuzioni, --run A --run B): quadrante, fascia,
    segnalazioni e piano, con il perché."""
    import polars as pl

    from pipelines import warehouse
    from pipelines.changes import changes_since_previous
    from sources.reference import body_name, resolve_body

    if runs:
        raise typer.Exit(_diff_runs(runs, resolve_body(body) if body else None, year, phase, lang))
    code = resolve_body(body) if body else None
    if code is None:
        console.print(say("Indicare l'ente con --body (codice ISTAT, sigla o nome).", "Give the body with --body (ISTAT code, abbreviation or name)."))
        raise typer.Exit(2)
    settings = load_settings()
    with warehouse.connect(settings.warehouse_path) as con:
        years = [y for (y,) in con.execute("SELECT DISTINCT year FROM core.ruffini_matrix WHERE body = ? ORDER BY 1", [code]).fetchall()] \
            if warehouse.read_table(con, "ruffini_matrix", None, ["body"]).height else []
        if not years or (year is not None and year not in years):
            console.print(say(f"Nessun risultato per {body_name(code)} {year or ''}: eseguire prima areavasta run.",
                              f"No results for {body_name(code)} {year or ''}: run areavasta run first."))
            raise typer.Exit(1)
        found = changes_since_previous(con, pl.DataFrame({"body": [code], "year": [year or years[-1]]}, schema={"body": pl.String, "year": pl.Int32}), lang)
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
            for column, ratio in zip(["funzione", "nome", "che cosa", "prima", "dopo", "perché"] if lang == "it" else
                                     ["function", "name", "what", "before", "after", "why"], (1, 2, 2, 2, 2, 5)):
                table.add_column(column, ratio=ratio, no_wrap=ratio == 1)
            kinds = label("change_kinds", lang)
            for r in changes.rows.iter_rows(named=True):
                table.add_row(r["function"], r["name"], kinds.get(r["change"], r["change"]), r["before"], r["after"], r["reason"])
            console.print(table)


def _parameter_words(asset: str, values: str, lang: str) -> dict[str, str]:
    """An asset's recorded run configuration (JSON) as words: path → value, e.g. «Matrice › Soglia … : 0,4»."""
    import json

    from dashboards.words import parameter_rows

    return {path: value for path, value in parameter_rows({asset: json.loads(values)}, lang) if value != "-"}  # "-": nothing set


def _parameter_change(asset: str, before: str, after: str, lang: str) -> str:
    was, now = _parameter_words(asset, before, lang), _parameter_words(asset, after, lang)
    default = say("valore dei file", "the files' value")
    return "; ".join(f"{path}: {say('da', 'from')} {was.get(path, default)} {say('a', 'to')} {now.get(path, default)}"
                     for path in sorted(set(was) | set(now)) if was.get(path) != now.get(path))


def _diff_runs(runs: list[str], body: str | None, year: int | None, phase: str | None, lang: str) -> int:
    """Two runs (or manifests): what differs in what they were computed from, then what changed in the results."""
    import polars as pl

    from pipelines import manifest as manifests
    from pipelines import warehouse
    from pipelines.changes import changes_between

    if len(runs) != 2:
        console.print(say("Indicare due esecuzioni: --run A --run B.", "Give two runs: --run A --run B."))
        return 2
    settings = load_settings()
    with warehouse.connect(settings.warehouse_path) as con:
        found = [manifests.find(settings, con, ref) for ref in runs]
    missing = [ref for ref, m in zip(runs, found) if m is None]
    states = [manifests.load_state(settings, m["id"]) if m else None for m in found]
    if missing or any(s is None for s in states):
        console.print(say(f"Nessun manifesto con i risultati per: {', '.join(missing or runs)} (servono esecuzioni dei rapporti).",
                          f"No manifest with results for: {', '.join(missing or runs)} (runs of the reports are needed)."), soft_wrap=True)
        return 1
    a, b = found
    moved = manifests.differences(a, b)
    console.print(f"[bold]{say('Da', 'From')} {a['id']} {say('a', 'to')} {b['id']}[/]")
    lines = [say(f"file nuovi: {', '.join(moved['inputs_added'])}", f"new files: {', '.join(moved['inputs_added'])}") if moved["inputs_added"] else "",
             say(f"file non più in uso: {', '.join(moved['inputs_removed'])}", f"files no longer in use: {', '.join(moved['inputs_removed'])}")
             if moved["inputs_removed"] else "",
             say(f"regole e cataloghi modificati: {', '.join(moved['catalogues'])}", f"rules and catalogues edited: {', '.join(moved['catalogues'])}")
             if moved["catalogues"] else "",
             *[_parameter_change(asset, before, after, lang) for asset, before, after in moved["parameters"]],
             say("codice di areavasta diverso", "different areavasta code") if moved["code"] else ""]
    for line in [x for x in lines if x] or [say("stessi dati, regole, parametri e codice", "same data, rules, parameters and code")]:
        console.print(f"  - {line}", soft_wrap=True)
    was, now = states
    for frame_filter in ([pl.col("body") == body] if body else []) + ([pl.col("year") == year] if year else []):
        was, now = was.filter(frame_filter), now.filter(frame_filter)
    _print_changes(changes_between(was, now, (a["id"], b["id"]), lang), phase, lang)
    return 0


@app.command()
def layouts(lang: Lang = "it") -> None:
    """Elenca i formati di file riconosciuti."""
    from sources.layouts import profiles

    table = Table("nome" if lang == "it" else "name", "motore" if lang == "it" else "engine", "file", "descrizione" if lang == "it" else "description")
    for profile in profiles():
        table.add_row(profile.name, profile.engine, ", ".join(profile.formats), profile.description(lang))
    console.print(table)


@app.command()
def restore(sha256: Annotated[str, typer.Argument(help="SHA-256 del file (o le sue prime cifre, almeno 8).")],
            output: Annotated[Path, typer.Option("-o", "--output", help="Dove scrivere il file come è stato ricevuto.")],
            lang: Lang = "it") -> None:
    """Riscrive un file dell'archivio esattamente come è stato ricevuto (gli estratti nazionali sono conservati compressi)."""
    from babel.numbers import format_decimal

    from sources import archive

    settings = load_settings()
    wanted = sha256.strip().lower()
    found = archive.shas_starting_with(settings.archive_dir, wanted) if len(wanted) >= 8 else []
    if len(found) != 1:
        console.print("[red]" + (say(f"Nessun file dell'archivio ha SHA-256 {wanted}.", f"No archived file has SHA-256 {wanted}.") if not found
                                 else say(f"{len(found)} file dell'archivio iniziano con {wanted}: indicare più cifre.",
                                          f"{len(found)} archived files start with {wanted}: give more digits.")) + "[/]", soft_wrap=True)
        raise typer.Exit(1)
    stored = archive.find_archived(settings.archive_dir, found[0])
    written = archive.restore(stored, output)
    if written != found[0]:  # the archive was altered on disk
        output.unlink(missing_ok=True)
        console.print("[red]" + say(f"Il file archiviato {stored} non corrisponde più al suo SHA-256: non è stato scritto nulla.",
                                    f"The archived file {stored} no longer matches its SHA-256: nothing was written.") + "[/]", soft_wrap=True)
        raise typer.Exit(1)
    size = output.stat().st_size
    console.print(say(f"Scritto {output} ({format_decimal(size, locale='it_IT')} byte), SHA-256 {written} verificato.",
                      f"Wrote {output} ({size:,} bytes), SHA-256 {written} verified."), soft_wrap=True)


from pipelines import cli_dup, cli_outliers, cli_rebuild, cli_uploads  # noqa: E402 (uploads, confirm, cancel; rebuild; dup; anomalie)

cli_uploads.register(app, console, Lang)
cli_rebuild.register(app, console, Lang)
cli_dup.register(app, console, Lang)
cli_outliers.register(app, console, Lang)


def main() -> None:
    """The console script: every command, and warehouse problems told in words instead of a traceback (exit 3)."""
    import os
    import sys

    from pipelines.warehouse_errors import WarehouseError

    if any(arg == "--lang" or arg.startswith("--lang=") for arg in sys.argv):
        # "--lang en" after the command counts for everything, its help included (printed before the option is read)
        os.environ["AREAVASTA_LANG"] = language()
    try:
        app()
    except WarehouseError as exc:
        lang = language()
        console.print(f"[red]{exc.message(lang)}[/]", soft_wrap=True)
        raise SystemExit(3) from None


if __name__ == "__main__":  # pragma: no cover
    main()
