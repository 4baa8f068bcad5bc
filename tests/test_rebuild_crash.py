"""A load killed at any point, then ``areavasta rebuild``: the same warehouse as a clean load (issue 25, "Done when").

One sequence of loads, as an operator runs them: two budgets (receipts), a national extract, a questionnaire, a
corrected extract, a second questionnaire for the same body and year. A separate process runs it and is killed with
SIGKILL at one point of one load: before the warehouse write, inside its transaction, after the commit but before the
register or the archive heard of it. Then the rebuild, then the rest of the sequence. After the rebuild the warehouse
equals a clean load of the files accepted before the kill (the killed file was archived, so it was accepted); after the
rest, a clean load of everything: rows, sums, the files in use, the national lines, the ratings.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from sources.settings import load_settings
from tests.test_rebuild_archive import (
    BUDGETS,
    NATIONAL,
    RATINGS,
    ROOT,
    corrected_extract,
    shorter_questionnaire,
)
from warehouse.rebuild import rebuild_warehouse

STEPS = 5  # budgets, extract, questionnaire, corrected extract, second questionnaire

SEQUENCE = """
import os, signal, sys
from pathlib import Path
from warehouse import ingest, loading, uploads
from warehouse import national_extracts as national
from warehouse import rating_files as ratings
from warehouse import store as warehouse
from sources import archive
from sources.settings import load_settings

point, killed_step = sys.argv[1], int(sys.argv[2])
files = [Path(p) for p in sys.argv[3:]]
settings = load_settings()


def die(*args, **kwargs):
    os.kill(os.getpid(), signal.SIGKILL)


def inside(table):  # the kill inside the load's transaction, once the lines are written and the file's record is not
    real = warehouse._replace
    def replace(con, declared, *args, **kwargs):
        if declared.name == table:
            die()
        return real(con, declared, *args, **kwargs)
    return replace


def after_commit(real):
    def settle(stored, load, **fields):
        if fields.get("status") == "loaded":
            die()
        return real(stored, load, **fields)
    return settle


POINTS = {
    "budgets_before_the_warehouse": lambda: setattr(uploads, "load", die),
    "budgets_after_the_commit": lambda: setattr(loading, "settle_from_warehouse", die),
    "extract_before_the_warehouse": lambda: setattr(national, "write", die),
    "extract_inside_the_transaction": lambda: setattr(warehouse, "_replace", inside("national_extracts")),
    "extract_after_the_commit": lambda: setattr(archive, "settle_entry", after_commit(archive.settle_entry)),
    "questionnaire_before_the_warehouse": lambda: setattr(ratings, "write", die),
    "questionnaire_inside_the_transaction": lambda: setattr(warehouse, "_replace", inside("rating_files")),
    "questionnaire_after_the_commit": lambda: setattr(archive, "settle_entry", after_commit(archive.settle_entry)),
}
steps = [
    lambda: ingest.ingest_files(files[:len(files) - 4], settings, user="prova"),
    lambda: national.load_national(files[-4], settings, user="prova"),
    lambda: ratings.load_ratings(files[-3], settings, user="prova"),
    lambda: national.load_national(files[-2], settings, user="prova"),
    lambda: ratings.load_ratings(files[-1], settings, user="prova"),
]
for index, step in enumerate(steps):
    if index == killed_step:
        POINTS[point]()
    step()
"""

# (where, which load): the step killed, numbered from 0
CASES = [
    ("budgets_before_the_warehouse", 0),
    ("budgets_after_the_commit", 0),
    ("extract_before_the_warehouse", 1),
    ("extract_inside_the_transaction", 1),
    ("extract_after_the_commit", 1),
    ("questionnaire_before_the_warehouse", 2),
    ("questionnaire_inside_the_transaction", 2),
    ("questionnaire_after_the_commit", 2),
    ("extract_before_the_warehouse", 3),
    ("questionnaire_inside_the_transaction", 4),
]


@pytest.fixture(scope="module")
def files(tmp_path_factory) -> list[Path]:
    folder = tmp_path_factory.mktemp("files")
    settings = load_settings()
    return [*BUDGETS, NATIONAL, RATINGS, corrected_extract(folder), shorter_questionnaire(folder, settings)]


def _env(home: Path) -> dict:
    return {**{k: v for k, v in os.environ.items() if k != "DAGSTER_HOME"}, "AREAVASTA_HOME": str(home)}


def _run(home: Path, files: list[Path], point: str = "", step: int = STEPS) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-c", SEQUENCE, point or "-", str(step), *map(str, files)],
        check=False,
        env=_env(home),
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )


def _rest(home: Path, files: list[Path], after: int) -> None:
    """The loads after ``after`` (the killed one), run as the operator would once the warehouse is back."""
    script = SEQUENCE.replace(
        "for index, step in enumerate(steps):", f"for index, step in list(enumerate(steps))[{after + 1}:]:"
    )
    result = subprocess.run(
        [sys.executable, "-c", script, "-", str(STEPS), *map(str, files)],
        check=False,
        env=_env(home),
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr


CLEAN: dict[int, dict] = {}


def _clean(tmp_path_factory, files: list[Path], steps: int) -> dict:
    """What a clean load of the first ``steps`` loads gives (computed once per length)."""
    if steps not in CLEAN:
        home = tmp_path_factory.mktemp(f"clean{steps}")
        script = SEQUENCE.replace(
            "for index, step in enumerate(steps):", f"for index, step in list(enumerate(steps))[:{steps}]:"
        )
        result = subprocess.run(
            [sys.executable, "-c", script, "-", str(STEPS), *map(str, files)],
            check=False,
            env=_env(home),
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert result.returncode == 0, result.stderr
        CLEAN[steps] = content(home / "warehouse.duckdb")
    return CLEAN[steps]


def content(path: Path) -> dict:
    """What must come back, independent of where the home lies and when things were loaded: rows, sums, the files in use
    per partition, and a hash of the lines and ratings with their provenance."""
    con = duckdb.connect(str(path), read_only=True)
    try:
        present = {
            t
            for (t,) in con.execute(
                "SELECT table_name FROM information_schema.tables WHERE table_schema = 'core'"
            ).fetchall()
        }

        def one(sql: str, table: str):
            return con.execute(sql).fetchall() if table in present else None

        lines = (
            "SELECT count(*), sum(amount_cents), sum(hash(concat_ws('|', body, year, phase, missione, programma, "
            "titolo, macroaggregato, amount_kind, amount_cents, source_sha256, sheet, cell))::HUGEINT) FROM core.{t}"
        )
        return {
            "budget_lines": one(lines.format(t="budget_lines"), "budget_lines"),
            "revenue_lines": one("SELECT count(*), sum(amount_cents) FROM core.revenue_lines", "revenue_lines"),
            "current": one(
                "SELECT body, year, phase, content, sha256, n_rows FROM core.uploads WHERE status = 'current' "
                "ORDER BY ALL",
                "uploads",
            ),
            "national_lines": one(
                "SELECT body, year, phase, extract_sha256, count(*), sum(amount_cents), sum(hash(concat_ws('|', "
                "missione, programma, titolo, macroaggregato, amount_kind, amount_cents))::HUGEINT) FROM "
                "core.national_lines GROUP BY ALL ORDER BY ALL",
                "national_lines",
            ),
            "national_extracts": one(
                "SELECT sha256, file, lines, bodies, years, user FROM core.national_extracts ORDER BY ALL",
                "national_extracts",
            ),
            "ratings": one(
                "SELECT body, year, source_sha256, source_file, count(*), sum(quality), sum(accessibility), "
                "sum(willingness), sum(hash(concat_ws('|', function, respondent_type, respondent, quality, "
                "accessibility, willingness, source_row))::HUGEINT) FROM core.ratings GROUP BY ALL ORDER BY ALL",
                "ratings",
            ),
            "rating_files": one(
                "SELECT sha256, file, rows, bodies, user FROM core.rating_files ORDER BY ALL", "rating_files"
            ),
        }
    finally:
        con.close()


@pytest.mark.parametrize("point, step", CASES, ids=[f"{p}-{s}" for p, s in CASES])
def test_a_load_killed_at_any_point_then_rebuilt_equals_a_clean_load(
    tmp_path, tmp_path_factory, files, point, step, monkeypatch
):
    home = tmp_path / "home"
    killed = _run(home, files, point, step)
    assert killed.returncode == -signal.SIGKILL, killed.stderr
    monkeypatch.setenv("AREAVASTA_HOME", str(home))
    report = rebuild_warehouse(load_settings())
    assert report.ok, [(c.spec.table, c.differing) for c in report.differing]
    assert content(home / "warehouse.duckdb") == _clean(
        tmp_path_factory, files, step + 1
    )  # the killed file was accepted
    _rest(home, files, step)
    assert content(home / "warehouse.duckdb") == _clean(tmp_path_factory, files, STEPS)
    report = rebuild_warehouse(load_settings())  # and once more from the archive, now that everything is loaded
    assert report.ok and not report.waiting
    assert content(home / "warehouse.duckdb") == _clean(tmp_path_factory, files, STEPS)
