"""Shared fixtures: settings pointing at a temporary home, generated sample files."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import settings as hypothesis_settings

# Timing is not what the property tests check: on a loaded 2-core CI machine a deadline only makes them flaky.
hypothesis_settings.register_profile("areavasta", deadline=None)
hypothesis_settings.load_profile("areavasta")

from dashboards.charts import validating
from sources.samples.budget import generate_budget
from sources.samples.layouts import write_layout
from sources.samples.writer import sample_name
from sources.settings import load_settings

validating(True)  # every chart a test draws is checked against the Vega-Lite schema (production skips it: speed)


@pytest.fixture
def settings(tmp_path, monkeypatch):
    monkeypatch.setenv("AREAVASTA_HOME", str(tmp_path / "home"))
    monkeypatch.delenv("AREAVASTA_WAREHOUSE", raising=False)
    return load_settings()


@pytest.fixture(scope="session")
def budget_237_2025():
    return generate_budget("237", 2025, "rendiconto")


@pytest.fixture(scope="session")
def small_budget():
    """Vercelli (176,941 inhabitants): a small province, about 1,300 lines."""
    return generate_budget("002", 2026, "previsione")


@pytest.fixture(scope="session")
def sample_dir(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("samples")


def write_sample(directory: Path, lines, layout: str, **kwargs) -> Path:
    row = lines.row(0, named=True)
    return write_layout(
        layout, lines, directory / sample_name(row["body"], row["year"], row["phase"], layout), **kwargs
    )


def settings_for(home: Path):
    """Settings for a home that outlives one test (module-scoped fixtures), without leaving AREAVASTA_HOME set."""
    import os

    previous = os.environ.get("AREAVASTA_HOME")
    os.environ["AREAVASTA_HOME"] = str(home)
    try:
        return load_settings()
    finally:
        if previous is None:
            del os.environ["AREAVASTA_HOME"]
        else:
            os.environ["AREAVASTA_HOME"] = previous


def _import_anyio_parts() -> None:
    """anyio imports its parts on first use. In the portal tests that first use is inside a worker thread (starlette's
    file responses), where pytest rewrites the module's assertions (anyio is a pytest plugin) and CPython 3.11's AST
    constructor can fail with "recursion depth mismatch" (a flaky SystemError, seen once in the suite, 2026-12-04).
    Imported here once, in the main thread."""
    import warnings

    import anyio

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for name in dir(anyio):
            try:
                getattr(anyio, name)
            except Exception:  # noqa: BLE001, S112 - a name that does not import is the same as before
                continue


_import_anyio_parts()
