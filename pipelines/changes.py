"""What changed for a body since its previous year: the glue between the warehouse and ``transforms.changes``.

The previous year is the latest earlier year of the same phase with programme-level accounts, else the latest
earlier year. Two years of different detail (programmes against mission totals) are not compared function by
function: the note says which year lacks detail, and the page compares them mission by mission
(``core.mission_movement``). Used by the workbook's sheet, the
page's section and ``areavasta diff``.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

import polars as pl
import yaml

from sources.catalogues import flag_labels, quadrants, status_labels
from sources.labels import label, report_labels
from sources.portfolio_catalogue import portfolio_config
from sources.reference import DATA_DIR
from transforms.changes import Labels, detail_level, state, what_changed
from warehouse import store as warehouse


@cache
def change_words() -> dict:
    return yaml.safe_load((DATA_DIR / "changes" / "words.yaml").read_text(encoding="utf-8"))


def labels(lang: str) -> Labels:
    tiers = {int(k): v for k, v in portfolio_config()["tiers"][f"labels_{lang}"].items()}
    return Labels(
        quadrants=dict(zip(quadrants()["quadrant"], quadrants()[f"service_type_{lang}"])),
        tiers=tiers,
        statuses=status_labels(lang),
        flags=flag_labels(lang),
        plan_kinds=report_labels()["plan_kinds"][lang],
        lang=lang,
    )


@dataclass
class Changes:
    """The comparison of one body, year and phase with its previous year: title, note and rows, in one language."""

    before: int | None
    title: str
    note: str
    rows: pl.DataFrame


def _previous_year(matrix: pl.DataFrame, body: str, year: int, phase: str) -> int | None:
    earlier = matrix.filter(pl.col("body") == body, pl.col("phase") == phase, pl.col("year") < year)
    if earlier.is_empty():
        return None
    detailed = earlier.group_by("year").agg(coarse=pl.col("coarse").fill_null(False).all()).filter(~pl.col("coarse"))
    return int((detailed if detailed.height else earlier)["year"].max())


def _tables(con, bodies: list[str]) -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame]:
    wanted = pl.DataFrame({"body": bodies}, schema={"body": pl.String})
    matrix = warehouse.read_table(con, "ruffini_matrix", wanted)
    ranked = warehouse.read_table(con, "portfolio", wanted)
    plans = warehouse.read_table(con, "plans", wanted, ["body", "year", "phase", "function", "plan_kind"])
    return matrix, ranked, plans


def _state(matrix, ranked, plans, body: str, year: int, phase: str) -> pl.DataFrame:
    pick = [pl.col("body") == body, pl.col("year") == year, pl.col("phase") == phase]
    return state(
        matrix.filter(*pick),
        ranked.filter(*pick) if ranked.height else ranked,
        plans.filter(*pick) if plans.height else plans,
        list(portfolio_config()["weights"]),
    )


def states(con, keys: pl.DataFrame) -> pl.DataFrame:
    """Every function's state (matrix position, rank, plan) for ``keys`` (body, year): what a run's outputs show."""
    matrix, ranked, plans = _tables(con, keys["body"].unique().to_list())
    if matrix.is_empty():
        return pl.DataFrame()
    combos = (
        matrix.join(keys, on=["body", "year"], how="semi")
        .select("body", "year", "phase")
        .unique()
        .sort("body", "year", "phase")
        .rows()
    )
    frames = [
        _state(matrix, ranked, plans, b, y, p).with_columns(body=pl.lit(b), year=pl.lit(y, pl.Int32), phase=pl.lit(p))
        for b, y, p in combos
    ]
    return pl.concat(frames, how="diagonal_relaxed") if frames else pl.DataFrame()


FINAL_ACCOUNTS = ("never", "missing", "always")  # when a forecast is compared with earlier final accounts


def changes_since_previous(
    con, keys: pl.DataFrame, lang: str = "it", final_accounts: str = "never"
) -> dict[tuple, Changes]:
    """For each (body, year, phase) of ``keys`` (body, year): what changed since the body's previous year of that
    phase. A forecast (previsione) is compared with the latest earlier final accounts (rendiconto) instead when
    ``final_accounts`` is ``always``, or ``missing`` and no earlier forecast is loaded; the note says which with
    which, and on which amounts."""
    words = change_words()[lang]
    names = labels(lang)
    matrix, ranked, plans = _tables(con, keys["body"].unique().to_list())
    if matrix.is_empty():
        return {}
    out = {}
    wanted = matrix.join(keys, on=["body", "year"], how="semi").select("body", "year", "phase").unique().rows()
    for body, year, phase in wanted:
        before = _previous_year(matrix, body, year, phase)
        against, unmet = phase, False
        if phase == "previsione" and (final_accounts == "always" or (final_accounts == "missing" and before is None)):
            final = _previous_year(matrix, body, year, "rendiconto")
            if final is not None:
                before, against = final, "rendiconto"
            unmet = final is None and final_accounts == "always"  # asked for, but no earlier final accounts
        if before is None:
            out[(body, year, phase)] = Changes(
                None, words["title"].format(before=year - 1), words["none_before"], _empty()
            )
            continue
        was = _state(matrix, ranked, plans, body, before, against)
        now = _state(matrix, ranked, plans, body, year, phase)
        if against == phase:
            out[(body, year, phase)] = _compared(
                was, now, (before, year), words["title"].format(before=before), words, names
            )
            if unmet:
                out[(body, year, phase)].note = f"{words['final_none']} {out[(body, year, phase)].note}"
            continue
        found = _compared(was, now, (before, year), words["title_final"].format(before=before), words, names)
        reason = words["final_always" if final_accounts == "always" else "final_missing"]
        found.note = (
            words["against_final"].format(
                before=before, after=year, basis_before=_basis("rendiconto", lang), basis_after=_basis(phase, lang)
            )
            + f" {reason} {found.note}"
        )
        out[(body, year, phase)] = found
    return out


def _basis(phase: str, lang: str) -> str:
    """The amounts a phase's matrix reads, in words (``amount_basis``: stanziamenti, impegni)."""
    from sources.catalogues import classification_config
    from sources.reference import amount_kinds

    kind = classification_config()["amount_basis"][phase]
    names = dict(zip(amount_kinds()["code"], amount_kinds()[f"label_{lang}"]))
    return names.get(kind, kind).lower()


def changes_between(
    was: pl.DataFrame, now: pl.DataFrame, runs: tuple[str, str], lang: str = "it"
) -> dict[tuple, Changes]:
    """Two runs' states (``states``) of the same bodies, years and phases: what changed from the first to the second."""
    words = change_words()[lang]
    names = labels(lang)
    out = {}
    for key in sorted(
        set(was.select("body", "year", "phase").unique().rows())
        & set(now.select("body", "year", "phase").unique().rows())
    ):

        def pick(frame: pl.DataFrame) -> pl.DataFrame:
            return frame.filter(pl.col("body") == key[0], pl.col("year") == key[1], pl.col("phase") == key[2])

        out[key] = _compared(
            pick(was),
            pick(now),
            runs,
            words["title_runs"].format(before=runs[0], after=runs[1]),
            words,
            names,
            words["subtitle_runs"],
        )
    return out


def _compared(was, now, periods: tuple, title: str, words: dict, names: Labels, subtitle: str | None = None) -> Changes:
    levels = detail_level(was), detail_level(now)
    if levels[0] != levels[1]:  # say which year lacks detail: compared by mission in the movement section
        return Changes(
            periods[0],
            title,
            words["different_detail"].format(
                before=periods[0],
                after=periods[1],
                detail_before=label("detail_levels", names.lang)[levels[0]],
                detail_after=label("detail_levels", names.lang)[levels[1]],
            ),
            _empty(),
        )
    rows = what_changed(was, now, periods, words, names, portfolio_config()["weights"])
    note = (
        (subtitle or words["subtitle"]).format(before=periods[0], after=periods[1]) if rows.height else words["nothing"]
    )
    return Changes(periods[0], title, note, rows)


def _empty() -> pl.DataFrame:
    return pl.DataFrame(
        schema={
            "function": pl.String,
            "name": pl.String,
            "change": pl.String,
            "before": pl.String,
            "after": pl.String,
            "reason": pl.String,
        }
    )
