"""The scenarios the product ships (``data/scenarios/*.yaml``) and the versions of every catalogue file.

Scenarios are data: each changes thresholds, weights, plan tiers, adoption or the expected-effect scale. A scenario is
**run configuration** of the assets that use those parameters (``transforms.scenarios.scenario_run_config``): the
scenarios asset runs the same stages with it (``pipelines.stage_priorities.run_scenario``), and
``areavasta run --scenario NAME`` materialises the assets with it.
"""

from __future__ import annotations

import hashlib

import yaml

from sources.reference import DATA_DIR

SCENARIO_DIR = DATA_DIR / "scenarios"


def scenarios() -> list[dict]:
    return [yaml.safe_load(p.read_text(encoding="utf-8")) for p in sorted(SCENARIO_DIR.glob("*.yaml"))]


def scenario_by_name(name: str) -> dict:
    for scenario in scenarios():
        if scenario["name"] == name:
            return scenario
    raise KeyError(name)


def catalogue_versions() -> dict[str, str]:
    """The first 16 hexadecimal digits of the SHA-256 of every catalogue file (``areavasta/data``), by path."""
    files = sorted(p for p in DATA_DIR.rglob("*") if p.is_file() and p.suffix in {".csv", ".yaml", ".txt"})
    return {str(p.relative_to(DATA_DIR)): hashlib.sha256(p.read_bytes()).hexdigest()[:16] for p in files}
