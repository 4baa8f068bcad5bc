"""Analyses: ``demo``, ``classify``, ``report``, ``run``, ``dashboards``. The groups that go with them have modules of
their own: ``cli.dup`` (the ``dup`` group) and ``cli.outliers`` (the ``anomalie`` group).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from cli.app import (
    Body,
    Lang,
    PeerGroup,
    Peers,
    Phase,
    Year,
    app,
    console,
    findings_table,
    say,
)
from cli.classified import print_classification
from sources.findings import Finding
from sources.settings import load_settings

# What each command runs, by the runner's labels (``pipelines.runner.stage_labels``): never a layer's number, which
# changes with the graph (tests/test_graph_order.py checks that each label exists).
CLASSIFY_STAGES = ("body_1",)
REPORT_STAGES = ("reports",)
PAGE_STAGES = ("body_pages",)


@app.command()
def demo(
    inbox: Annotated[Path, typer.Option(help="Cartella dei file di esempio inclusi.")] = Path("demo/inbox"),
) -> None:
    """Carica i bilanci di esempio inclusi e dice dove sono i risultati."""
    from pipelines.demo import run_demo

    raise typer.Exit(run_demo(inbox, console))


@app.command()
def classify(
    body: Body = None,
    year: Year = None,
    phase: Phase = None,
    lang: Lang = "it",
    overrides: Annotated[
        Path | None,
        typer.Option(
            "--overrides", exists=True, dir_okay=False, help="File YAML di modifiche al catalogo dell'autorità."
        ),
    ] = None,
    spending_threshold: Annotated[float | None, typer.Option(help="Soglia della quota di trasferimenti (0-1).")] = None,
    authority_threshold: Annotated[float | None, typer.Option(help="Soglia del grado di autorità (0-1).")] = None,
    cost_basis: Annotated[
        str | None,
        typer.Option(
            help="Base di costo: direct (costo diretto) o full (costo pieno, con i servizi generali ripartiti)."
        ),
    ] = None,
    output: Annotated[Path | None, typer.Option("-o", "--output", help="Cartella dei risultati.")] = None,
) -> None:
    """Classifica ogni funzione nella matrice di Ruffini (gli asset Dagster, con queste soglie)
    e scrive i risultati (CSV)."""
    from pipelines import stages
    from pipelines.classification import stored_classification, write_outputs
    from sources.overrides import read_yaml
    from warehouse import manifest
    from warehouse import store as warehouse

    settings = load_settings()
    if overrides:
        _, problems = read_yaml(overrides, user=getpass_user())
        if problems:
            console.print(findings_table(problems, lang))
            raise typer.Exit(1)
    keys = _selection(settings, body, year)
    config = {
        "ruffini_matrix": {
            "spending_threshold": spending_threshold,
            "authority_threshold": authority_threshold,
            "cost_basis": cost_basis,
        },
        "authority_scores": {
            "overrides_file": str(overrides.resolve()) if overrides else None,
            "overrides_user": getpass_user(),
        },
    }
    _run(settings, keys, config, CLASSIFY_STAGES)
    with warehouse.connect(settings.warehouse_path) as con:
        result = stored_classification(
            con, keys, phase, stages.matrix_parameters(spending_threshold, authority_threshold, cost_basis)
        )
        computed_from = (
            manifest.build(con, keys).id if keys.height else None
        )  # the CSVs name what they were computed from
    if result.functions.is_empty():
        console.print(
            "Nessun dato nel magazzino per questa selezione."
            if lang == "it"
            else "No data in the warehouse for this selection."
        )
        raise typer.Exit(1)
    print_classification(result, lang)
    paths = write_outputs(result, output or settings.outputs_dir / "classification", computed_from)
    console.print(("Risultati: " if lang == "it" else "Results: ") + paths["functions"], soft_wrap=True)


def _peer_config(group: str | None, peers: str | None) -> dict:
    """``--peer-group`` and ``--peers`` as the run configuration of ``peer_benchmarks``; exits 2 on a wrong value or
    body."""
    from sources.reference import resolve_body
    from transforms.peers import RULES

    if group is not None and group not in RULES:
        console.print(
            say(
                f"[red]Gruppo di enti simili '{group}' sconosciuto: {' | '.join(RULES)}.[/]",
                f"[red]Unknown peer group '{group}': {' | '.join(RULES)}.[/]",
            )
        )
        raise typer.Exit(2)
    names = [p.strip() for p in (peers or "").split(",") if p.strip()]
    codes = [resolve_body(p) for p in names]
    if None in codes:
        unknown = ", ".join(n for n, c in zip(names, codes) if c is None)
        console.print(f"[red]{Finding('BODY_UNKNOWN', params={'value': unknown}).message(say('it', 'en'))}[/]")
        raise typer.Exit(2)
    if group == "list" and not codes:
        console.print(
            say(
                "[red]--peer-group list vuole l'elenco degli enti: --peers 002,003.[/]",
                "[red]--peer-group list needs the bodies: --peers 002,003.[/]",
            )
        )
        raise typer.Exit(2)
    group = group or ("list" if codes else None)  # bodies named one by one: the group is that list
    config = {**({"peer_group": group} if group else {}), **({"peers": codes} if codes else {})}
    return {"peer_benchmarks": config} if config else {}


def _selection(settings, body: str | None, year: int | None):
    """The (body, year) keys the warehouse holds for the selection; exits when there are none."""
    from pipelines import stages
    from sources.reference import resolve_body
    from warehouse import store as warehouse

    code = resolve_body(body) if body else None
    if body and code is None:
        console.print(f"[red]{Finding('BODY_UNKNOWN', params={'value': body}).message(say('it', 'en'))}[/]")
        raise typer.Exit(2)
    with warehouse.connect(settings.warehouse_path) as con:
        keys = stages.present_keys(con)
    keys = keys.filter(keys["body"] == code) if code else keys
    keys = keys.filter(keys["year"] == year) if year else keys
    if keys.is_empty():
        console.print(
            say(
                "Nessun dato nel magazzino per questa selezione: caricare prima i file (areavasta ingest).",
                "No data in the warehouse for this selection: load the files first (areavasta ingest).",
            )
        )
        raise typer.Exit(1)
    return keys


def _recover(instance) -> None:
    """Runs left unfinished by a command that was killed would block this one: close them, and say so."""
    from pipelines.runner import recover_stale_runs

    recovered = recover_stale_runs(instance)
    if recovered:
        runs = ", ".join(r[:8] for r in recovered)
        console.print(
            say(
                f"[yellow]Recuperate {len(recovered)} esecuzioni interrotte (processo terminato): {runs}; "
                "il magazzino è tornato libero.[/]",
                f"[yellow]Recovered {len(recovered)} interrupted runs (process ended): {runs}; the warehouse is free"
                " again.[/]",
            )
        )


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
        console.print(
            say(
                "[red]Un'esecuzione della pipeline non è riuscita: vedere l'interfaccia Dagster.[/]",
                "[red]A pipeline run failed: see the Dagster UI.[/]",
            )
        )
        raise typer.Exit(1)


def getpass_user() -> str:
    import getpass

    return getpass.getuser()


@app.command()
def report(
    body: Body = None,
    year: Year = None,
    phase: Phase = None,
    lang: Lang = "it",
    output: Annotated[Path | None, typer.Option("-o", "--output", help="Cartella dei rapporti.")] = None,
    peer_group: PeerGroup = None,
    peers: Peers = None,
) -> None:
    """Priorità, piano di riassetto, scenari, rapporto Excel e DUP (Word)
    per ogni ente e anno del magazzino (gli asset Dagster)."""
    settings = load_settings()
    keys = _selection(settings, body, year)
    folder = (output or settings.outputs_dir / "reports").resolve()
    _run(
        settings,
        keys,
        {"report_workbooks": {"lang": lang, "phase": phase, "folder": str(folder)}, **_peer_config(peer_group, peers)},
        REPORT_STAGES,
    )
    suffix = "" if lang == "it" else f"_{lang}"
    for b, y in keys.select("body", "year").rows():
        for path in sorted(folder.glob(f"{b}_{y}_*{suffix}.xlsx")):
            if (phase is None or f"_{phase}" in path.stem) and (suffix or path.stem.count("_") == 2):
                console.print(say(f"Rapporto: {path}", f"Report: {path}"), soft_wrap=True)
                if path.with_suffix(".docx").exists():
                    console.print(
                        say(
                            f"Documento DUP (Word): {path.with_suffix('.docx')}",
                            f"DUP document (Word): {path.with_suffix('.docx')}",
                        ),
                        soft_wrap=True,
                    )


@app.command()
def run(
    body: Annotated[list[str] | None, typer.Option("--body", help="Ente (anche più volte); tutti se omesso.")] = None,
    year: Annotated[
        list[int] | None, typer.Option("--year", help="Esercizio (anche più volte); tutti quelli caricati se omesso.")
    ] = None,
    scenario: Annotated[
        str | None,
        typer.Option("--scenario", help="Esegue gli asset con i parametri di uno scenario (data/scenarios)."),
    ] = None,
    peer_group: PeerGroup = None,
    peers: Peers = None,
) -> None:
    """Esegue la pipeline Dagster (istanza locale) per gli enti e gli anni indicati e dice dove sono i risultati."""
    from pipelines.instance import embedded_instance
    from pipelines.runner import run_pipeline
    from sources.reference import resolve_body
    from warehouse import store as warehouse

    settings = load_settings()
    with warehouse.connect(settings.warehouse_path) as con:
        loaded = sorted(set(warehouse.analysed_keys(con)["year"]))  # uploads and national open data
    years = year or loaded
    if not years:
        console.print(
            say(
                "Nessun dato nel magazzino: caricare prima i file (areavasta ingest).",
                "No data in the warehouse: load the files first (areavasta ingest).",
            )
        )
        raise typer.Exit(1)
    codes = [resolve_body(b) for b in body] if body else None
    if codes and None in codes:
        console.print(f"[red]{Finding('BODY_UNKNOWN', params={'value': ', '.join(body)}).message(say('it', 'en'))}[/]")
        raise typer.Exit(2)
    config = None
    if scenario:
        from sources.scenarios import scenario_by_name
        from transforms.scenarios import scenario_run_config

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
    console.print(
        say(
            f"Rapporti: {reports}  Magazzino: {settings.warehouse_path}",
            f"Reports: {reports}  Warehouse: {settings.warehouse_path}",
        ),
        soft_wrap=True,
    )
    raise typer.Exit(0 if all(r.success for r in results) else 1)


@app.command()
def dashboards(
    body: Body = None,
    year: Year = None,
    lang: Lang = "it",
    export: Annotated[bool, typer.Option("--export", help="Esporta anche ogni grafico in PNG e SVG.")] = False,
) -> None:
    """Scrive le pagine dei cruscotti (offline) per ciò che il magazzino contiene;
    la pipeline deve essere già stata eseguita."""
    from warehouse import store as warehouse

    settings = load_settings()
    keys = _selection(settings, body, year)
    with warehouse.connect(settings.warehouse_path) as con:
        analysed = warehouse.read_table(con, "ruffini_matrix", keys, ["body"])
    if analysed.is_empty():
        console.print(
            say(
                "Nessun dato analizzato: eseguire prima 'areavasta run'.",
                "Nothing analysed yet: run 'areavasta run' first.",
            )
        )
        raise typer.Exit(1)
    _run(settings, keys, {"dashboard_pages": {"lang": lang, "export": export}}, PAGE_STAGES)
    index = settings.outputs_dir / "dashboards" / ("index.html" if lang == "it" else f"index_{lang}.html")
    console.print(say(f"Pagine scritte; indice: {index}", f"Pages written; index: {index}"), soft_wrap=True)
