"""``make run``: ingest the bundled sample files, run the whole pipeline through Dagster, say where everything is."""

from __future__ import annotations

import shutil
from pathlib import Path

import polars as pl
from rich.console import Console
from rich.table import Table

from pipelines.loaders import materialise_national, materialise_ratings
from sources import receipts, replacement
from sources.catalogues import indicator_catalogue
from sources.layouts import profile
from sources.receipts import Uploader
from sources.settings import load_settings
from transforms.figures import number, percent
from warehouse import store as warehouse
from warehouse.ingest import ingest_files
from warehouse.loading import OUTCOME_WORDS, load_receipts


def _replacements(folder: Path, settings, console: Console) -> None:
    """Two replacements of forecasts in use (docs/REPLACEMENTS.md): both would make the data worse and are held; the
    budget variation is then confirmed, as its officer would, and becomes current; the draft stays held."""
    files = sorted(p for p in folder.glob("*.xlsx")) if folder.exists() else []
    if not files:
        return
    for outcome in ingest_files(files, settings, user="demo"):
        if outcome.status != "held":
            console.print(f"Sostituzione {outcome.validation.file}: {OUTCOME_WORDS[outcome.status][0]}", soft_wrap=True)
            continue
        reasons = "; ".join(
            r for view in replacement.held_view(outcome.receipt.comparisons) for r in view["reasons"][:2]
        )
        if "variazione" in outcome.validation.file:
            receipts.confirm(settings, outcome.receipt.seq, Uploader("demo"))
            load_receipts(settings, [receipts.get(settings, outcome.receipt.seq)])
            console.print(
                f"Sostituzione {outcome.validation.file}: tenuta in attesa ({reasons}), poi confermata: ora "
                f"{receipts.state_label(receipts.get(settings, outcome.receipt.seq).status)}",
                soft_wrap=True,
            )
        else:
            console.print(
                f"Sostituzione {outcome.validation.file}: in attesa di conferma ({reasons}); resta in uso il file "
                f"precedente (areavasta uploads, areavasta confirm {outcome.receipt.seq})",
                soft_wrap=True,
            )


def indicator_table(indicators: pl.DataFrame, standing: pl.DataFrame, lang: str = "it") -> Table:
    """Every body's execution indicators, one row per body, year and phase: each value with the peers' median beside it,
    and the indicators the files cannot give."""
    catalogue = indicator_catalogue()
    words = {
        "it": (
            "ente",
            "anno e fase",
            "indicatori (tra parentesi la mediana degli enti simili)",
            "non calcolabili",
            "Indicatori di esecuzione",
        ),
        "en": (
            "body",
            "year and phase",
            "indicators (peers' median in brackets)",
            "cannot be computed",
            "Execution indicators",
        ),
    }[lang]
    table = Table(words[0], words[1], words[2], title=words[4])
    medians = (
        {(r["body"], r["year"], r["phase"], r["indicator"]): r["peer_median"] for r in standing.iter_rows(named=True)}
        if standing.height
        else {}
    )
    values = {(r["body"], r["year"], r["phase"], r["indicator"]): r["value"] for r in indicators.iter_rows(named=True)}
    for body, year, phase in sorted({k[:3] for k in values}):
        shown, empty = [], []
        for name, short in zip(catalogue["indicator"], catalogue[f"short_{lang}"]):
            value, median = values.get((body, year, phase, name)), medians.get((body, year, phase, name))
            if value is None:
                empty.append(short)
            else:
                shown.append(
                    f"{short} {percent(value, lang)}" + (f" ({percent(median, lang)})" if median is not None else "")
                )
        missing = f"{words[3].capitalize()}: {', '.join(empty)}" if empty else ""
        text = ". ".join(x for x in ("; ".join(shown), missing) if x)
        table.add_row(body, f"{year} {phase}", text)
    return table


def run_demo(inbox: Path, console: Console) -> int:
    from pipelines.instance import embedded_instance
    from pipelines.runner import recover_stale_runs, run_pipeline

    settings = load_settings()
    files = sorted(p for p in inbox.iterdir() if p.suffix.lower() in {".xlsx", ".csv"})
    outcomes = ingest_files(files, settings, user="demo")
    table = Table("file", "esito", "formato", "righe", title="Bilanci di esempio")
    for outcome in outcomes:
        v = outcome.validation
        layout = profile(v.layout).description("it") if v.layout else ""
        table.add_row(v.file, OUTCOME_WORDS[outcome.status][0], layout, number(v.line_count))
    console.print(table)
    _replacements(inbox.parent / "replacements", settings, console)
    attributions = sorted((inbox.parent / "revenue").glob("*.csv"))  # which revenue belongs to which function, per body
    if attributions:
        (settings.home / "revenue").mkdir(parents=True, exist_ok=True)
        for path in attributions:
            shutil.copyfile(path, settings.home / "revenue" / path.name)
    refused = 0
    for extract in sorted(
        (inbox.parent / "national").glob("*.csv")
    ):  # BDAP open data: peers, and the upload it must agree with
        loaded = materialise_national(extract, settings, user="demo")
        refused += not loaded.ok
        said = (
            f"{number(loaded.lines)} righe di {number(loaded.bodies)} enti"
            if loaded.ok
            else "; ".join(f.message() for f in loaded.findings[:3])
        )
        console.print(f"Estratto BDAP {extract.name}: {said}", soft_wrap=True)
    for questionnaire in sorted(
        (inbox.parent / "ratings").glob("*.xlsx")
    ):  # co-assessment: users and Third Sector bodies
        rated = materialise_ratings(questionnaire, settings, user="demo")
        refused += not rated.ok
        console.print(
            f"Co-valutazione {questionnaire.name}: {rated.ratings.height} valutazioni"
            if rated.ok
            else f"Co-valutazione {questionnaire.name}: " + "; ".join(f.message() for f in rated.findings[:3]),
            soft_wrap=True,
        )
    with warehouse.connect(settings.warehouse_path) as con:
        years = sorted(set(warehouse.analysed_keys(con)["year"]))
    instance = embedded_instance(settings.home)
    recovered = recover_stale_runs(instance)
    if recovered:
        console.print(f"Recuperate {len(recovered)} esecuzioni interrotte (processo terminato).")
    # two runs to compare (areavasta diff --run A --run B): first with a transfer-share threshold of 40 %, as under
    # other rules, then with the shipped rules, which stay in the outputs
    results = run_pipeline(
        instance, years, home=str(settings.home), config={"ruffini_matrix": {"spending_threshold": 0.4}}
    )
    results += run_pipeline(instance, years, home=str(settings.home))
    with warehouse.connect(settings.warehouse_path) as con:
        summary = con.execute(
            "SELECT body, year, phase, count(*) FILTER (WHERE quadrant IS NOT NULL) AS classificate, "
            "count(*) FILTER (WHERE quadrant IS NULL) AS non_classificate FROM core.ruffini_matrix GROUP BY ALL "
            "ORDER BY ALL"
        ).fetchall()
    matrix = Table("ente", "anno", "fase", "funzioni classificate", "non classificate", title="Matrice di Ruffini")
    for row in summary:
        matrix.add_row(*[str(v) for v in row])
    console.print(matrix)
    with warehouse.connect(settings.warehouse_path) as con:
        console.print(
            indicator_table(
                warehouse.read_table(con, "execution_indicators", None, None, "t.detail = 'body'"),
                warehouse.read_table(con, "indicator_peers", None, None, "t.detail = 'body'"),
            )
        )
    console.print(
        "Un indicatore non calcolabile manca dei tipi di importo nei file caricati: il motivo nel foglio Indicatori "
        "del rapporto Excel e nel cruscotto, le formule in docs/INDICATORS.md",
        soft_wrap=True,
    )
    with warehouse.connect(settings.warehouse_path) as con:
        revenue = con.execute("SELECT count(*), count(DISTINCT body) FROM core.revenue_lines").fetchone()
        compared = con.execute(
            "SELECT body, year, phase, count(*), count(*) FILTER (WHERE NOT within_tolerance) "
            "FROM core.bdap_reconciliation GROUP BY ALL ORDER BY ALL"
        ).fetchall()
    console.print(
        f"Entrate (formato aperto): {revenue[0]} righe per {revenue[1]} enti in core.revenue_lines", soft_wrap=True
    )
    for body, year, phase, n, off in compared:
        console.print(
            f"Confronto con BDAP, ente {body} {phase} {year}: {n} importi confrontati, {off} oltre la tolleranza "
            "(foglio Controlli del rapporto, sezione del cruscotto)",
            soft_wrap=True,
        )
    with warehouse.connect(settings.warehouse_path) as con:
        reports = con.execute(
            "SELECT manifest_id, min(recorded_at) AS first_at FROM core.run_manifests WHERE asset = 'report_workbooks' "
            "GROUP BY ALL ORDER BY first_at"
        ).fetchall()
        if len(reports) >= 2:
            from pipelines.changes import changes_between
            from warehouse import manifest

            first, last = reports[-2][0], reports[-1][0]
            changed = changes_between(
                manifest.load_state(settings, first), manifest.load_state(settings, last), (first, last)
            )
            moved = sum(c.rows.filter(pl.col("change") == "quadrant").height for c in changed.values())
            console.print(
                f"Due esecuzioni (soglia dei trasferimenti al 40 %, poi al 50 %): {moved} funzioni cambiano quadrante; "
                f"il perché con: areavasta diff --run {first} --run {last}",
                soft_wrap=True,
            )
    console.print(
        f"Esecuzioni Dagster: {len(results)}, riuscite: {sum(r.success for r in results)} (istanza in "
        f"{instance.root_directory})",
        soft_wrap=True,
    )
    console.print(
        f"Rapporti Excel e documenti DUP (Word): {(settings.outputs_dir / 'reports').resolve()}", soft_wrap=True
    )
    console.print(
        f"Cruscotti (aprire nel browser): {(settings.outputs_dir / 'dashboards' / 'index.html').resolve()}",
        soft_wrap=True,
    )
    console.print(f"Scenari: {(settings.outputs_dir / 'scenarios').resolve()}", soft_wrap=True)
    console.print(f"Magazzino DuckDB: {settings.warehouse_path.resolve()}", soft_wrap=True)
    console.print(f"Archivio dei file ricevuti: {settings.archive_dir.resolve()}", soft_wrap=True)
    console.print(
        "Interfaccia Dagster: DAGSTER_HOME=" + instance.root_directory + " .venv/bin/dagster dev -w workspace.yaml",
        soft_wrap=True,
    )
    return 1 if refused or any(o.status == "rejected" for o in outcomes) or not all(r.success for r in results) else 0
