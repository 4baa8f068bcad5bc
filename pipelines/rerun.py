"""Compute a manifest's outputs again and compare them, byte for byte, with the ones it recorded.

Refused, with the reason in words, when what the manifest names is no longer what the warehouse and
the product hold (an input superseded, a catalogue or rule file edited, other code): the outputs could
not be the same. Otherwise the assets run again with the manifest's parameters as run configuration,
the workbooks and pages going to a folder of their own, and each output is compared with the SHA-256
the manifest recorded.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path

import polars as pl

from warehouse import manifest
from warehouse import store as warehouse

CONFIGURABLE = ("authority_scores", "ruffini_matrix", "portfolio_priorities", "restructuring_plans")


@dataclass
class Rerun:
    refused: list[tuple[str, str]] = field(default_factory=list)  # (Italian, English) reasons
    compared: list[tuple[str, str]] = field(default_factory=list)  # (output, identical | different | missing)

    @property
    def identical(self) -> bool:
        return not self.refused and bool(self.compared) and all(state == "identical" for _, state in self.compared)


def keys_of(stored: dict) -> pl.DataFrame:
    pairs = [p.split("|") for p in stored["partitions"]]
    if all(len(p) == 2 for p in pairs):
        return pl.DataFrame([(b, int(y)) for y, b in pairs], schema={"body": pl.String, "year": pl.Int32}, orient="row")
    return pl.DataFrame({"year": [int(p[0]) for p in pairs]}, schema={"year": pl.Int32})


def run_config(stored: dict) -> tuple[dict, list[tuple[str, str]]]:
    """The manifest's parameters as run configuration, one per asset; a problem when partitions differ or a file is
    needed."""
    config, problems = {}, []
    for asset in CONFIGURABLE:
        values = {p["parameters"] for p in stored["parameters"] if p["asset"] == asset}
        if len(values) > 1:
            problems.append(
                (
                    f"le partizioni hanno parametri diversi per {asset}",
                    f"the partitions have different parameters for {asset}",
                )
            )
            continue
        chosen = json.loads(values.pop()) if values else {}
        if any(k.endswith("_file_sha256") for k in chosen):
            problems.append(
                (
                    f"{asset} usava un file di modifiche: va indicato di nuovo",
                    f"{asset} used a changes file: give it again",
                )
            )
        chosen = {k: v for k, v in chosen.items() if not k.endswith("_sha256")}
        if chosen:
            config[asset] = chosen
    return config, problems


def rerun(settings, stored: dict, target: Path) -> Rerun:
    """Run the manifest's partitions again into ``target`` (workbooks and pages) and compare every recorded output."""
    import dagster as dg

    from pipelines.runner import run_pipeline

    report = Rerun()
    keys = keys_of(stored)
    with warehouse.connect(settings.warehouse_path) as con:
        now = manifest.build(con, keys)
    moved = manifest.differences(stored, now.content)
    for name in moved["inputs_added"]:
        report.refused.append(
            (f"il file {name} è ora in uso e non lo era", f"file {name} is now in use and was not then")
        )
    for name in moved["inputs_removed"]:
        report.refused.append((f"il file {name} non è più quello in uso", f"file {name} is no longer the one in use"))
    for name in moved["catalogues"]:
        report.refused.append(
            (f"il file di regole o catalogo {name} è cambiato", f"rule or catalogue file {name} has changed")
        )
    if moved["code"]:
        report.refused.append(("il codice di areavasta è cambiato", "areavasta's code has changed"))
    config, problems = run_config(stored)
    report.refused += problems
    if report.refused:
        return report
    years = sorted(int(y) for y in keys["year"].unique())
    bodies = sorted(keys["body"].unique().to_list()) if "body" in keys.columns else None
    outputs = {
        "report_workbooks": {"folder": str(target / "reports")},
        "dashboard_pages": {"folder": str(target / "dashboards")},
    }
    # an instance of its own, knowing only the manifest's bodies and years: the runs cover exactly its partitions, as
    # the original did, whatever bodies the deployment's instance has registered since
    instance = dg.DagsterInstance.ephemeral()
    results = run_pipeline(instance, years, bodies, home=str(settings.home), config={**config, **outputs})
    if any(Path(name).stem.endswith("_en") for name in stored["outputs"]):  # the English workbooks and pages too
        english = {asset: {**values, "lang": "en"} for asset, values in outputs.items()}
        results += run_pipeline(
            instance, years, bodies, home=str(settings.home), config={**config, **english}, stages=tuple(outputs)
        )
    if not all(r.success for r in results):
        report.refused.append(("un'esecuzione non è riuscita", "a run failed"))
        return report
    for relative, digest in sorted(stored["outputs"].items()):
        fresh = (
            target / relative
            if relative.split("/")[0] in ("reports", "dashboards")
            else settings.outputs_dir / relative
        )
        state = (
            "missing"
            if not fresh.exists()
            else "identical"
            if hashlib.sha256(fresh.read_bytes()).hexdigest() == digest
            else "different"
        )
        report.compared.append((relative, state))
    return report
