"""Scenarios and what the workbooks need besides the stored tables (catalogue versions, upload warnings).

Scenarios are data (``data/scenarios/*.yaml``): each changes thresholds, weights, plan tiers,
adoption or the expected-effect scale. A scenario is **run configuration** of the assets that use
those parameters (``scenario_run_config``): the scenarios asset runs the same stages with it
(``pipelines.stages.run_scenario``), and ``areavasta run --scenario NAME`` materialises the assets with it.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import polars as pl
import yaml

from dashboards.words import date_time
from pipelines.plans import plan_config
from pipelines.portfolio import portfolio_config
from sources import receipts, replacement
from sources.catalogues import classification_config
from sources.findings import Finding
from sources.reference import DATA_DIR

SCENARIO_DIR = DATA_DIR / "scenarios"
STRATEGY_FILE = DATA_DIR / "strategy" / "actors.csv"


def scenarios() -> list[dict]:
    return [yaml.safe_load(p.read_text(encoding="utf-8")) for p in sorted(SCENARIO_DIR.glob("*.yaml"))]


def scenario_run_config(changes: dict) -> dict[str, dict]:
    """A scenario's changes (data/scenarios/*.yaml) as run configuration of the assets that use them."""
    config: dict[str, dict] = {}
    if changes.get("thresholds"):
        config["ruffini_matrix"] = {f"{axis}_threshold": value for axis, value in changes["thresholds"].items()}
    if changes.get("cost_basis"):
        config.setdefault("ruffini_matrix", {})["cost_basis"] = changes["cost_basis"]
    if changes.get("weights"):
        config["portfolio_priorities"] = {"weights": changes["weights"]}
    plans = {
        key: changes[key]
        for key in ("plan_tiers", "adoption", "effect_scale", "effect_scale_by_logic")
        if key in changes
    }
    if plans:
        config["restructuring_plans"] = plans
    return config


def scenario_parameters(config: dict[str, dict]) -> dict:
    """The parameters a scenario's run configuration amounts to, in full (shown in the workbook)."""
    thresholds = dict(classification_config()["thresholds"])
    for axis in ("spending", "authority"):
        value = config.get("ruffini_matrix", {}).get(f"{axis}_threshold")
        thresholds[axis] = thresholds[axis] if value is None else value
    plans = {**plan_config(), **config.get("restructuring_plans", {})}
    basis = config.get("ruffini_matrix", {}).get("cost_basis") or classification_config()["cost_basis"]
    return {
        "thresholds": thresholds,
        "cost_basis": basis,
        "weights": {**portfolio_config()["weights"], **config.get("portfolio_priorities", {}).get("weights", {})},
        "plan_tiers": plans["plan_tiers"],
        "adoption": plans["adoption"],
        "effect_scale": plans.get("effect_scale", 1.0),
        "effect_scale_by_logic": plans.get("effect_scale_by_logic", {}),
        "run_config": config,
    }


def scenario_by_name(name: str) -> dict:
    for scenario in scenarios():
        if scenario["name"] == name:
            return scenario
    raise KeyError(name)


def catalogue_versions() -> dict[str, str]:
    files = sorted(p for p in DATA_DIR.rglob("*") if p.is_file() and p.suffix in {".csv", ".yaml", ".txt"})
    return {str(p.relative_to(DATA_DIR)): hashlib.sha256(p.read_bytes()).hexdigest()[:16] for p in files}


def _warnings(uploads: pl.DataFrame, settings=None, lang: str = "it") -> list[dict]:
    """The warnings of the files in use, as received (archive sidecars), and, for a file that replaced another making the
    data worse, who confirmed it and why it was held (the register): never silently worse, downstream either."""
    found = _confirmed_replacements(uploads, settings, lang) if settings is not None else []
    for path in uploads["archive_path"].unique().to_list():
        sidecar = Path(path + ".json")
        if sidecar.exists():
            for record in json.loads(sidecar.read_text(encoding="utf-8")):
                found += record.get("warnings", [])
    return found


def _confirmed_replacements(uploads: pl.DataFrame, settings, lang: str) -> list[dict]:
    found = []
    for seq in uploads["receipt_seq"].drop_nulls().unique().sort().to_list():
        receipt = receipts.get(settings, int(seq))
        if receipt is None or not receipt.worse or not receipt.confirmed_by:
            continue
        for view in replacement.held_view(receipt.comparisons, lang):
            found.append(
                Finding(
                    "REPLACEMENT_CONFIRMED",
                    file=receipt.original_name,
                    params={
                        "previous": view["previous_name"],
                        "reasons": "; ".join(view["reasons"]),
                        "who": receipt.confirmed_by,
                        "when": date_time(receipt.confirmed_at, lang),
                    },
                ).to_dict(lang)
            )
    return found
