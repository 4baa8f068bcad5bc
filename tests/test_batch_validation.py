"""Files validated together give exactly what each gives alone (sources.steps).

The ingest validates a chunk of files as one batch: one reader-engine query and one check pass
for all of them. These tests put broken and valid files of every layout in one batch, in the
official schemes' shapes as well as the template's, and compare with one-by-one validation:
the same findings in the same order, naming their own file, and the same lines.
"""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

from sources import steps
from sources.intake import validate_file, validate_files
from sources.readers.table import ParseRows
from sources.samples.budget import generate_budget
from tests import malformed as m
from tests.test_malformed_corpus import CELL_CASES
from warehouse.ingest import ingest_files

OFFICIAL = Path(__file__).parent / "fixtures" / "official"


def _corpus(folder: Path) -> list[dict]:
    """Template files each broken in one cell, two at once, a Totale row, valid files, annexes, open data, official
    files."""
    good = m.template(folder / "good.xlsx")
    jobs = [dict(path=m.edit_xlsx(good, folder / f"{code}.xlsx", "Dati", edits)) for code, edits, _ in CELL_CASES]
    jobs += [
        dict(path=good),
        dict(path=m.edit_xlsx(good, folder / "two.xlsx", "Dati", {"A6": "21", "F7": "12,345"})),
        dict(path=m.edit_xlsx(good, folder / "totale.xlsx", "Dati", {"A8": "Totale", "B8": "Totale programma"})),
        dict(path=m.edit_xlsx(good, folder / "regioni.xlsx", "Dati", {"A8": "04", "B8": "04.03"})),
        dict(path=m.template(folder / "vuoto.xlsx", m.GOOD_ROWS.clear())),
        dict(
            path=m.template(
                folder / "vercelli_2025.xlsx",
                generate_budget("002", 2025, "rendiconto"),
                body="002",
                year=2025,
                phase="rendiconto",
            )
        ),
        dict(
            path=m.template(
                folder / "vercelli_migliaia.xlsx",  # amounts a thousand times too large: a warning
                generate_budget("002", 2025, "rendiconto", seed=5).with_columns(pl.col("amount_cents") * 1000),
                body="002",
                year=2025,
                phase="rendiconto",
            )
        ),
        dict(path=good, year=2024),  # a conflict with what the user says
        dict(path=m.annex(folder / "annex.xlsx", "annex_macroaggregates")),
        dict(path=m.annex(folder / "tipi.xlsx", "annex_amount_kinds", body="237", year=2024)),
        dict(path=m.open_format_csv(folder / "aperto.csv")),
        dict(path=m.bdap(folder / "bdap.csv"), body="237"),
    ]
    jobs += [dict(path=path) for path in sorted(OFFICIAL.iterdir()) if path.suffix in (".csv", ".xlsx")]
    return jobs


def _same(alone, together) -> None:
    assert [f.to_dict() for f in together.findings] == [f.to_dict() for f in alone.findings], alone.file
    assert together.lines.equals(alone.lines), alone.file
    assert (together.layout, together.table, together.body) == (alone.layout, alone.table, alone.body)


@pytest.mark.parametrize("workers", [1, 2])
def test_a_batch_gives_what_each_file_gives_alone(tmp_path, settings, workers):
    jobs = _corpus(tmp_path)
    alone = [validate_file(settings=settings, **job) for job in jobs]
    together = validate_files(jobs, settings, workers=workers)
    assert len(together) == len(jobs) and not any(isinstance(v, Exception) for v in together)
    for one, batched in zip(alone, together):
        _same(one, batched)
    codes = {f.code for v in alone for f in v.findings}  # the corpus exercises the checks it compares
    assert {code for code, _, _ in CELL_CASES} | {
        "TOTAL_ROW",
        "NO_DATA",
        "AMOUNT_TOO_PRECISE",
        "YEAR_CONFLICT",
        "BODY_AMOUNTS_IMPLAUSIBLE",
    } <= codes
    assert sum(v.ok for v in alone) >= 8 and sum(v.lines.height for v in alone) > 2_000


def test_findings_name_their_own_file_in_a_batch(tmp_path, settings):
    good = m.template(tmp_path / "good.xlsx")
    bad = m.edit_xlsx(good, tmp_path / "bad.xlsx", "Dati", {"A6": "21"})
    dup = m.edit_xlsx(good, tmp_path / "dup.xlsx", "Dati", {"G7": "10520/1", "C7": "1", "D7": "1.03"})
    ok, wrong, twice = validate_files([dict(path=good), dict(path=bad), dict(path=dup)], settings)
    assert ok.ok and ok.findings == []
    assert [(f.code, f.file, f.cell) for f in wrong.findings] == [("MISSION_UNKNOWN", "bad.xlsx", "A6")]
    # the same key in two files of one batch is no duplicate; within one file it is
    assert [(f.code, f.file, f.cell) for f in twice.findings] == [("DUPLICATE_KEY", "dup.xlsx", "F7")]


def test_a_failing_batch_is_retried_file_by_file(tmp_path, settings, monkeypatch):
    good = m.template(tmp_path / "good.xlsx")
    poison = m.template(tmp_path / "veleno.xlsx", body="002", year=2025, phase="rendiconto")
    original = ParseRows.run_many.__func__
    sizes = []

    def run_many(cls, requests):
        sizes.append(len(requests))
        if any(r.year == 2025 for r in requests):
            raise RuntimeError("guasto")
        return original(cls, requests)

    monkeypatch.setattr(ParseRows, "run_many", classmethod(run_many))
    first, second = validate_files([dict(path=good), dict(path=poison)], settings)
    assert sizes == [2, 1, 1]
    assert first.ok and first.lines.height == 3
    assert isinstance(second, RuntimeError)


def test_an_unexpected_failure_rejects_only_its_own_file(tmp_path, settings, monkeypatch):
    good = m.template(tmp_path / "good.xlsx")
    other = m.template(tmp_path / "altro.xlsx", body="002", year=2025, phase="rendiconto")
    original = ParseRows.run_many.__func__

    def run_many(cls, requests):
        if any(r.year == 2025 for r in requests):
            raise RuntimeError("guasto")
        return original(cls, requests)

    monkeypatch.setattr(ParseRows, "run_many", classmethod(run_many))
    outcomes = ingest_files([good, other], settings, user="test")
    assert [o.status for o in outcomes] == ["accepted", "rejected"]
    assert [f.code for f in outcomes[1].validation.findings] == ["INTAKE_FAILED"]


class _Double(steps.Request):
    calls: list[int] = []

    def __init__(self, value: int):
        self.value = value

    @classmethod
    def run_many(cls, requests):
        cls.calls.append(len(requests))
        if any(r.value < 0 for r in requests):
            raise ValueError("negative")
        return [2 * r.value for r in requests]


def _steps(value: int):
    doubled = yield _Double(value)
    return (yield _Double(doubled)) + 1


def test_the_driver_batches_like_requests_and_keeps_each_answer():
    _Double.calls.clear()
    assert steps.drive([_steps(v) for v in (1, 2, 3)]) == [5, 9, 13]
    assert _Double.calls == [3, 3]  # two rounds, each one call for the three files


def test_the_driver_isolates_a_failure():
    _Double.calls.clear()
    results = steps.drive([_steps(1), _steps(-1), _steps(3)])
    assert results[0] == 5 and results[2] == 13 and isinstance(results[1], ValueError)
    with pytest.raises(ValueError):
        steps.run_one(_steps(-1))


def test_lines_of_a_batch_keep_their_own_provenance(tmp_path, settings):
    one = m.template(tmp_path / "uno.xlsx")
    two = m.template(tmp_path / "due.xlsx", body="002", year=2025, phase="rendiconto")
    first, second = validate_files([dict(path=one), dict(path=two)], settings)
    assert first.lines["source_file"].unique().to_list() == ["uno.xlsx"]
    assert second.lines.select(pl.col("body").unique()).item() == "002" and second.lines["year"].unique().to_list() == [
        2025
    ]
    assert first.lines["cell"].to_list() == ["F6", "F7", "F8"]
