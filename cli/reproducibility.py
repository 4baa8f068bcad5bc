"""Reproducibility: ``manifest`` (what a run was computed from), ``rerun`` (compute a manifest again, byte for byte) and
``diff`` (``cli.diff``: what changed since the previous year, or between two runs)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from cli.app import PHASE_WORDS, Lang, app, console, say
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


def _partition_words(partition: str) -> str:
    """A run's partition as a person reads it: ``2026|237`` is «Città metropolitana di Bologna 2026»."""
    from sources.reference import body_name

    year, _, body = partition.partition("|")
    return f"{body_name(body)} {year}" if body else year


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
    from dashboards.words import date_time

    it = lang != "en"
    shown = [_partition_words(p) for p in found["partitions"][:12]]
    console.print(
        f"[bold]{'Manifesto' if it else 'Manifest'} {found['id']}[/]  {', '.join(shown)}"
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
            date_time(u["received_at"], lang),
        )
    for n in found["inputs"]["national"]:
        inputs.add_row(n["file"], "BDAP", n["years"], n["sha256"][:12], date_time(n["loaded_at"], lang))
    console.print(inputs)
    console.print(
        say(
            f"Cataloghi e regole: {len(found['catalogues'])} file con il loro SHA-256.",
            f"Catalogues and rules: {len(found['catalogues'])} files with their SHA-256.",
        )
    )
    changed = sorted({(p["asset"], p["parameters"]) for p in found["parameters"] if p["parameters"] != "{}"})
    said = [
        f"{path}: {value}" for asset, values in changed for path, value in parameter_words(asset, values, lang).items()
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
    if not found["outputs"]:  # classify's manifests: nothing for a rerun to compare
        other, _ = _latest_with_outputs(load_settings())
        console.print(
            say(
                "Nessun risultato registrato (rapporti, cruscotti): areavasta rerun non avrebbe nulla da confrontare"
                + (f"; l'ultimo manifesto con risultati è {other['id']}." if other else "."),
                "No outputs recorded (workbooks, pages): areavasta rerun would have nothing to compare"
                + (f"; the latest manifest with outputs is {other['id']}." if other else "."),
            ),
            soft_wrap=True,
        )


NOTHING_TO_COMPARE_EXIT = 6  # rerun: the manifest recorded no outputs (documented in cli/main.py and the README)


def _when(stored: dict, lang: str) -> str:
    """When a manifest's last run recorded it, as a person reads a date."""
    from dashboards.words import date_time

    moments = [r["at"] for r in stored.get("runs", []) if r.get("at")]
    return date_time(max(moments), lang) if moments else "?"


def _latest_with_outputs(settings) -> tuple[dict | None, dict | None]:
    """(the latest manifest that recorded outputs, the latest manifest of all): ``ultimo`` for ``rerun`` is the first,
    since a manifest without outputs (``classify`` writes CSVs only) leaves nothing to compare."""
    import polars as pl

    from warehouse import manifest as manifests
    from warehouse import store as warehouse

    with warehouse.connect(settings.warehouse_path) as con:
        runs = warehouse.read_table(con, "run_manifests")
        ids = (
            runs.sort("recorded_at", descending=True).select("manifest_id").unique(maintain_order=True)["manifest_id"]
            if runs.height
            else pl.Series([], dtype=pl.String)
        )
        latest = manifests.find(settings, con, ids[0]) if len(ids) else None
        for manifest_id in ids:
            found = manifests.find(settings, con, manifest_id)
            if found and found.get("outputs"):
                return found, latest
    return None, latest


def _nothing_to_compare(stored: dict | None, other: dict | None, lang: str) -> None:
    """Say plainly why a rerun has nothing to compare, and what would have something; exit 6 before computing."""
    if stored is None:
        console.print(
            say(
                "Nessun manifesto nel magazzino: nessuna esecuzione da ricalcolare. Eseguire prima areavasta run.",
                "No manifest in the warehouse: no run to compute again. Run areavasta run first.",
            ),
            soft_wrap=True,
        )
        raise typer.Exit(NOTHING_TO_COMPARE_EXIT)
    console.print(
        say(
            f"Il manifesto {stored['id']} (del {_when(stored, lang)}) non registra risultati: nulla da confrontare"
            " byte per byte. I rapporti e i cruscotti li registrano le esecuzioni di 'areavasta run' e"
            " 'areavasta report'; 'areavasta classify' scrive solo i CSV della classificazione.",
            f"Manifest {stored['id']} (of {_when(stored, lang)}) recorded no outputs: nothing to compare byte for byte."
            " Reports and dashboards are recorded by 'areavasta run' and 'areavasta report'; 'areavasta classify'"
            " writes the classification CSVs only.",
        ),
        soft_wrap=True,
    )
    console.print(
        say(
            f"Il più recente con risultati: {other['id']} (del {_when(other, lang)}): areavasta rerun {other['id']}",
            f"The latest with outputs: {other['id']} (of {_when(other, lang)}): areavasta rerun {other['id']}",
        )
        if other
        else say(
            "Nessun manifesto registra risultati: eseguire prima areavasta run.",
            "No manifest records outputs: run areavasta run first.",
        ),
        soft_wrap=True,
    )
    raise typer.Exit(NOTHING_TO_COMPARE_EXIT)


@app.command()
def rerun(
    ref: Annotated[
        str, typer.Argument(help="Manifesto (codice), esecuzione Dagster (id) o 'ultimo' (l'ultimo con risultati).")
    ] = "ultimo",
    output: Annotated[
        Path | None, typer.Option("-o", "--output", help="Dove scrivere rapporti e cruscotti ricalcolati.")
    ] = None,
    lang: Lang = "it",
) -> None:
    """Ricalcola i risultati di un manifesto e li confronta byte per byte con quelli registrati.

    Esce con 0 se tutti sono identici, 1 se uno differisce o manca o il ricalcolo è rifiutato, 6 se il manifesto non
    registra risultati (nulla da confrontare)."""
    import tempfile

    from pipelines.rerun import rerun as compute_again

    if ref in ("ultimo", "latest"):
        settings = load_settings()
        found, latest = _latest_with_outputs(settings)
        if found is None:
            _nothing_to_compare(latest, None, lang)
        if latest and latest["id"] != found["id"]:
            console.print(
                say(
                    f"L'ultimo manifesto ({latest['id']}, del {_when(latest, lang)}) non registra risultati: si"
                    f" ricalcola {found['id']} (del {_when(found, lang)}), l'ultimo che ne registra.",
                    f"The latest manifest ({latest['id']}, of {_when(latest, lang)}) recorded no outputs: computing"
                    f" {found['id']} (of {_when(found, lang)}) again, the latest that did.",
                ),
                soft_wrap=True,
            )
    else:
        settings, found = _manifest_or_exit(ref)
        if not found.get("outputs"):
            _nothing_to_compare(found, _latest_with_outputs(settings)[0], lang)
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


def parameter_words(asset: str, values: str, lang: str) -> dict[str, str]:
    """An asset's recorded run configuration (JSON) as words: path → value, e.g. «Matrice › Soglia … : 0,4»."""
    import json

    from dashboards.words import parameter_rows

    return {
        path: value for path, value in parameter_rows({asset: json.loads(values)}, lang) if value != "-"
    }  # "-": nothing set
