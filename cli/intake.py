"""Files in: ``validate``, ``ingest``, ``national``, ``questionnaire``, ``ratings``, ``mapping``, ``template``,
``sample``, and the register (``uploads``, the register, states in words; ``confirm`` and ``cancel``, a held
replacement, shown as the portal shows it).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Group
from rich.progress import Progress
from rich.table import Table
from rich.text import Text

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
from sources import receipts, replacement
from sources.findings import Finding, findings_json
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
    from pipelines.loading import OUTCOME_WORDS, ingest_files
    from sources.layouts import profile
    from sources.reference import body_name

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
            str(v.line_count),
            str(errors),
            str(len(v.findings) - errors),
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

    from pipelines.loading import OUTCOME_WORDS
    from pipelines.national import load_national

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
            outcome = load_national(path, settings, user or getpass.getuser())
        outcomes.append(outcome)
        findings += outcome.findings
        years = f"{outcome.years[0]}-{outcome.years[-1]}" if outcome.years else ""
        phase = PHASE_WORDS[lang].get(outcome.phase or "", "")
        summary.add_row(
            path.name,
            OUTCOME_WORDS["accepted" if outcome.ok else "rejected"][not it],
            f"{outcome.lines:,}".replace(",", "." if it else ","),
            str(outcome.bodies),
            f"{years} {phase}".strip(),
            f"{outcome.seconds.get('total', 0):.1f}",
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

    from pipelines.loading import OUTCOME_WORDS
    from pipelines.ratings import load_ratings

    settings = load_settings()
    found: list[Finding] = []
    table = Table("file", say("esito", "outcome"), say("valutazioni", "ratings"), say("enti", "bodies"))
    for path in files:
        outcome = load_ratings(path, settings, user or getpass.getuser())
        found += outcome.findings
        table.add_row(
            path.name,
            OUTCOME_WORDS["accepted" if outcome.ok else "rejected"][lang == "en"],
            str(outcome.ratings.height),
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
def mapping(
    file: Annotated[
        Path, typer.Argument(exists=True, dir_okay=False, readable=True, help="Il file respinto (xlsx o csv).")
    ],
    body: Body = None,
    year: Year = None,
    phase: Phase = None,
    lang: Lang = "it",
    apply: Annotated[
        Path | None,
        typer.Option(
            "--apply", exists=True, dir_okay=False, help="La mappa compilata da verificare e salvare per l'ente."
        ),
    ] = None,
    output: Annotated[Path | None, typer.Option("-o", "--output", help="Dove scrivere la mappa da compilare.")] = None,
    user: Annotated[str | None, typer.Option("--user", help="Chi salva la mappa.")] = None,
) -> None:
    """Dice cosa sono le colonne o righe che areavasta non sa collocare: scrive la mappa da compilare,
    oppure (--apply) la verifica sul file e la salva per l'ente, che la ritroverà negli anni successivi."""
    import getpass

    from sources import mappings
    from sources.intake import validate_file

    settings = load_settings()
    plain = validate_file(file, settings, body=body, year=year, phase=phase)
    it = lang != "en"
    if not plain.unplaced:
        console.print(
            "Nel file non ci sono colonne o righe da collocare." if it else "The file has no columns or rows to place."
        )
        if plain.findings:
            console.print(findings_table(plain.findings, lang))
        raise typer.Exit(0 if plain.ok else 1)
    if apply is None:
        text = mappings.skeleton(file.name, plain.layout or "?", plain.body, plain.unplaced)
        target = output or file.with_name(file.stem + ".mappa.yaml")
        target.write_text(text, encoding="utf-8")
        console.print(
            f"Mappa da compilare scritta in {target}: {len(plain.unplaced)} voci."
            if it
            else f"Mapping to fill in written to {target}: {len(plain.unplaced)} entries."
        )
        raise typer.Exit(0)
    parsed, problems = mappings.parse(apply.read_text(encoding="utf-8"), apply.name)
    if parsed is None:
        console.print(findings_table(problems, lang))
        raise typer.Exit(1)
    result = validate_file(file, settings, body=body, year=year, phase=phase, mapping=parsed)
    if not result.ok or result.unplaced or not plain.body:
        if not plain.body:
            result.findings.insert(0, Finding("BODY_MISSING", file=file.name))
        console.print(findings_table(result.findings, lang))
        console.print(
            "La mappa non è stata salvata: il file resta respinto."
            if it
            else "The mapping was not saved: the file is still rejected."
        )
        raise typer.Exit(1)
    path = mappings.store(
        settings,
        plain.body,
        plain.fingerprint,
        parsed,
        layout=plain.layout,
        file_name=file.name,
        user=user or getpass.getuser(),
    )
    console.print(
        f"Mappa verificata e salvata ({path}): il file ora è valido ({result.lines.height} righe) e la mappa "
        "sarà applicata da sola ai prossimi file dell'ente con le stesse colonne."
        if it
        else f"Mapping checked and saved ({path}): the file is now valid ({result.lines.height} rows) and the mapping "
        "will be applied by itself to this body's next files with the same columns."
    )
    if result.findings:
        console.print(findings_table(result.findings, lang))
    raise typer.Exit(0)


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
    from pipelines.loading import load_receipts
    from pipelines.warehouse import WarehouseError

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
