"""Domain checks on extracted budget lines: every problem at once, each with its cell.

Codes that exist and fit together, amounts that parse and have the right sign, duplicate
keys, files with no data. (Subtotal rows and total columns are checked by the reader that
sees them; body, year and phase by :mod:`sources.metadata`.)
"""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

from sources.findings import PER_RULE, Finding
from sources.reference import (
    amount_kinds,
    code_sets,
    macroaggregates,
    programmes,
    tipologie,
)
from sources.steps import Request

DEFAULT_KEY = ("body", "year", "phase", "capitolo", "missione", "programma", "titolo", "macroaggregato", "amount_kind")
REVENUE_KEY = ("body", "year", "phase", "titolo", "tipologia", "amount_kind")


def check_lines(
    lines: pl.DataFrame,
    file_name: str,
    phase: str | None,
    key: list[str] | None,
    large_amount_eur: int,
    letters: dict[str, str] | None = None,
    side: str = "spese",
) -> list[Finding]:
    """All findings on the lines of one file (a batch of one: see :class:`CheckLines`)."""
    return CheckLines.run_many([CheckLines(lines, file_name, phase, key, large_amount_eur, letters, side)])[0]


@dataclass
class CheckLines(Request):
    """The domain checks of one file's lines. ``letters`` maps a code's dimension to its column (template) so that a
    wrong code is reported at its own cell, not at the amount's. ``side``: ``spese`` or ``entrate``.

    Files checked alike (same side, key, limit, letters and columns) are checked in one polars pass
    (``run_many``); each finding still names its own file, and each file's findings come in the
    order a file checked alone gives them.
    """

    lines: pl.DataFrame
    file_name: str
    phase: str | None
    key: list[str] | None
    large_amount_eur: int
    letters: dict[str, str] | None = None
    side: str = "spese"

    @property
    def batch_key(self) -> tuple:
        return (
            self.side,
            tuple(self.key or ()),
            self.large_amount_eur,
            tuple(sorted((self.letters or {}).items())),
            tuple(self.lines.schema.items()),
        )

    @classmethod
    def run_many(cls, requests: list[CheckLines]) -> list[list[Finding]]:
        results: list[list[Finding]] = [[] for _ in requests]
        live = []
        for index, request in enumerate(requests):
            if request.lines.is_empty():
                results[index].append(Finding("NO_DATA", file=request.file_name))
            else:
                live.append(index)
        if not live:
            return results
        frame = pl.concat(
            [
                requests[i].lines.with_columns(_part=pl.lit(i, pl.Int32), _phase=pl.lit(requests[i].phase, pl.String))
                for i in live
            ]
        ).with_row_index("_i")
        rules, key_columns, frame = _rules(frame, requests[live[0]])
        flags = frame.select(
            *[condition.fill_null(False).alias(code) for code, condition, _, _ in rules],
            pl.struct([*key_columns, "_part"]).is_duplicated().alias("DUPLICATE_KEY"),
        ).sum()  # one pass over the lines: clean files stop here
        for code, condition, params, cell in rules:
            if not flags[code][0]:
                continue
            broken = frame.filter(condition)
            table = broken.filter(pl.int_range(pl.len()).over("_part") < PER_RULE).select(
                "_part", "sheet", cell.alias("_cell"), "source_row", **params
            )
            for row in table.iter_rows(named=True):
                part, sheet, at, source_row = (
                    row.pop("_part"),
                    row.pop("sheet"),
                    row.pop("_cell"),
                    row.pop("source_row"),
                )
                results[part].append(
                    Finding(
                        code,
                        file=requests[part].file_name,
                        sheet=sheet,
                        cell=at,
                        row=source_row,
                        params=_printable(row),
                    )
                )
            _more(broken, requests, results)
        if flags["DUPLICATE_KEY"][0]:
            _duplicates(frame, requests, key_columns, results)
        return results


def _rules(frame: pl.DataFrame, request: CheckLines) -> tuple[list, list[str], pl.DataFrame]:
    """Every rule as (finding code, condition, message parameters, cell); the key columns; the frame with its Totale
    flag."""
    codes = code_sets()
    kinds = amount_kinds()
    side, letters, large_amount_eur = request.side, request.letters, request.large_amount_eur
    phases_of = {row["code"]: row["phases"].split(";") for row in kinds.iter_rows(named=True)}
    negative_ok = set(kinds.filter(pl.col("allow_negative"))["code"])
    other_side = set(kinds.filter(pl.col("side") == ("entrate" if side == "spese" else "spese"))["code"])
    regions_only = (
        set(programmes().filter(pl.col("regions_only"))["code"])
        | set(macroaggregates().filter(pl.col("regions_only"))["code"])
        | set(tipologie().filter(pl.col("regions_only"))["code"])
    )

    def raw(dim: str) -> pl.Expr:
        return pl.coalesce(pl.col(f"{dim}_raw"), pl.col(dim), pl.lit(""))

    def where(dim: str) -> pl.Expr:
        if letters and dim in letters:
            return pl.concat_str(pl.lit(letters[dim]), pl.col("source_row").cast(pl.String))
        return pl.col("cell")

    rules = _spending_rules(codes, raw, where) if side == "spese" else _revenue_rules(codes, raw, where)
    rules += [
        (
            "SPENDING_KIND" if side == "spese" else "REVENUE_KIND",
            pl.col("amount_kind").is_in(other_side),
            {"value": raw("amount_kind")},
            where("amount_kind"),
        ),
        ("AMOUNT_KIND_UNKNOWN", pl.col("amount_kind").is_null(), {"value": raw("amount_kind")}, where("amount_kind")),
        (
            "AMOUNT_MISSING",
            pl.col("amount_cents").is_null() & pl.col("amount_text").is_null(),
            {},
            pl.col("cell"),
        ),
        (
            "AMOUNT_NOT_NUMBER",
            pl.col("amount_cents").is_null() & pl.col("amount_text").is_not_null(),
            {"value": pl.col("amount_text")},
            pl.col("cell"),
        ),
        (
            "AMOUNT_NEGATIVE",
            (pl.col("amount_cents") < 0) & ~pl.col("amount_kind").is_in(negative_ok).fill_null(False),
            {"value": pl.col("amount_text"), "kind": pl.col("amount_kind")},
            pl.col("cell"),
        ),
        (
            "AMOUNT_TOO_PRECISE",
            pl.col("amount_rounded").fill_null(False),
            {"value": pl.col("amount_text")},
            pl.col("cell"),
        ),
        (
            "AMOUNT_IMPLAUSIBLE",
            pl.col("amount_cents").abs() > large_amount_eur * 100,
            {"value": pl.col("amount_text"), "limit": pl.lit(f"{large_amount_eur:,}".replace(",", "."))},
            pl.col("cell"),
        ),
        (
            "REGIONS_ONLY_CODE",
            pl.any_horizontal(
                [
                    pl.col(c).is_in(regions_only)
                    for c in ("programma", "macroaggregato", "tipologia")
                    if c in frame.columns
                ]
            )
            & (pl.col("amount_cents") != 0),
            {
                "value": pl.coalesce(
                    [
                        pl.when(pl.col(c).is_in(regions_only)).then(pl.col(c))
                        for c in ("programma", "macroaggregato", "tipologia")
                        if c in frame.columns
                    ]
                )
            },
            pl.col("cell"),
        ),
    ]
    line_phase = pl.coalesce(pl.col("phase"), pl.col("_phase"))
    allowed = pl.col("amount_kind").replace_strict(
        {k: ";".join(v) for k, v in phases_of.items()}, default="", return_dtype=pl.String
    )
    rules.append(
        (
            "AMOUNT_KIND_PHASE",
            pl.col("amount_kind").is_not_null()
            & line_phase.is_not_null()
            & ~allowed.str.contains(line_phase).fill_null(True),
            {"kind": pl.col("amount_kind"), "phase": line_phase},
            where("amount_kind"),
        )
    )
    # a "Totale" row: one finding that says what to do, instead of one unknown code per column
    labelled = [d for d in ("missione", "programma", "titolo", "macroaggregato", "tipologia") if d in frame.columns]
    totals = [raw(d).str.strip_chars().str.to_lowercase().str.starts_with("total") for d in labelled]
    frame = frame.with_columns(_total=pl.any_horizontal(totals).fill_null(False))  # computed once, read by every rule
    total_row = pl.col("_total")
    rules = [(code, condition.fill_null(False) & ~total_row, params, cell) for code, condition, params, cell in rules]
    rules.insert(
        0,
        (
            "TOTAL_ROW",
            total_row,
            {"value": pl.coalesce([pl.when(c).then(raw(d)) for c, d in zip(totals, labelled)])},
            pl.coalesce([pl.when(c).then(where(d)) for c, d in zip(totals, labelled)]),
        ),
    )
    key_columns = [c for c in (request.key or DEFAULT_KEY) if c in frame.columns]
    return rules, key_columns, frame


def _spending_rules(codes, raw, where) -> list[tuple[str, pl.Expr, dict[str, pl.Expr], pl.Expr]]:
    return [
        (
            "MISSION_UNKNOWN",
            ~pl.col("missione").is_in(codes["missione"]).fill_null(False),
            {"value": raw("missione")},
            where("missione"),
        ),
        (
            "PROGRAMME_UNKNOWN",
            (pl.col("programma").is_not_null() & ~pl.col("programma").is_in(codes["programma"]))
            | (pl.col("programma").is_null() & (pl.col("programma_raw").fill_null("") != "")),
            {"value": raw("programma")},
            where("programma"),
        ),
        (
            "PROGRAMME_NOT_IN_MISSION",
            pl.col("programma").is_in(codes["programma"])
            & pl.col("missione").is_in(codes["missione"])
            & (pl.col("programma").str.slice(0, 2) != pl.col("missione")),
            {"programma": pl.col("programma"), "missione": pl.col("missione")},
            where("programma"),
        ),
        (
            "TITLE_UNKNOWN",
            (pl.col("titolo").is_not_null() & ~pl.col("titolo").is_in(codes["titolo"]))
            | (pl.col("titolo").is_null() & (pl.col("titolo_raw").fill_null("") != "")),
            {"value": raw("titolo")},
            where("titolo"),
        ),
        (
            "MACRO_UNKNOWN",
            (pl.col("macroaggregato").is_not_null() & ~pl.col("macroaggregato").is_in(codes["macroaggregato"]))
            | (pl.col("macroaggregato").is_null() & (pl.col("macroaggregato_raw").fill_null("") != "")),
            {"value": raw("macroaggregato")},
            where("macroaggregato"),
        ),
        (
            "MACRO_NOT_IN_TITLE",
            pl.col("macroaggregato").is_in(codes["macroaggregato"])
            & pl.col("titolo").is_in(codes["titolo"])
            & (pl.col("macroaggregato").str.slice(0, 1) != pl.col("titolo")),
            {"macroaggregato": pl.col("macroaggregato"), "titolo": pl.col("titolo")},
            where("macroaggregato"),
        ),
    ]


def _revenue_rules(codes, raw, where) -> list[tuple[str, pl.Expr, dict[str, pl.Expr], pl.Expr]]:
    return [
        (
            "TITLE_UNKNOWN",
            ~pl.col("titolo").is_in(codes["titolo_entrata"]).fill_null(False),
            {"value": raw("titolo")},
            where("titolo"),
        ),
        (
            "TIPOLOGIA_UNKNOWN",
            ~pl.col("tipologia").is_in(codes["tipologia"]).fill_null(False),
            {"value": raw("tipologia")},
            where("tipologia"),
        ),
        (
            "TIPOLOGIA_NOT_IN_TITLE",
            pl.col("tipologia").is_in(codes["tipologia"]) & (pl.col("tipologia").str.slice(0, 1) != pl.col("titolo")),
            {"tipologia": pl.col("tipologia"), "titolo": pl.col("titolo")},
            where("tipologia"),
        ),
    ]


def _more(broken: pl.DataFrame, requests: list[CheckLines], results: list[list[Finding]]) -> None:
    """After the first ``PER_RULE`` rows of one problem in one file, a single finding counts the others."""
    for part, count in broken.group_by("_part").len().filter(pl.col("len") > PER_RULE).iter_rows():
        results[part].append(
            Finding("FINDINGS_MORE", file=requests[part].file_name, params={"count": count - PER_RULE})
        )


def _printable(params: dict) -> dict:
    return {k: ("" if v is None else v) for k, v in params.items()}


def _duplicates(
    frame: pl.DataFrame, requests: list[CheckLines], columns: list[str], results: list[list[Finding]]
) -> None:
    # every occurrence after the first, also when both sit on one row (two columns placed on the same key)
    within = [*columns, "_part"]  # a key repeats within one file, never across files
    keyed = frame.sort("_i").with_columns(
        _first=pl.col("source_row").first().over(within), _rank=pl.int_range(pl.len()).over(within)
    )
    repeated = keyed.filter(pl.col("_rank") > 0)
    for row in repeated.filter(pl.int_range(pl.len()).over("_part") < PER_RULE).iter_rows(named=True):
        label = " / ".join(
            str(row[c]) for c in columns if row[c] not in (None, "") and c not in ("body", "year", "phase")
        )
        results[row["_part"]].append(
            Finding(
                "DUPLICATE_KEY",
                file=requests[row["_part"]].file_name,
                sheet=row["sheet"],
                cell=row["cell"],
                row=row["source_row"],
                params={"key": label, "other_row": row["_first"]},
            )
        )
    _more(repeated, requests, results)
