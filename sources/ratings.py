"""Co-assessment files: ratings of the body's service lines by users and Third Sector bodies, read and checked.

The layout is data (``data/coassessment/coassessment.yaml``): one row per respondent × function, the
header found by its column names (Italian), three 1-5 scales, the respondent's type. The same container
checks as budgets (``sources.container``); every problem is a finding at its cell; a file with an error
gives no ratings.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

import polars as pl
import yaml

from sources.container import inspect_file
from sources.findings import Finding, column_letter
from sources.grid import Grid, open_workbook, read_csv_grid, read_sheet
from sources.metadata import plausible_year
from sources.reference import DATA_DIR, missions, programmes, resolve_body
from sources.settings import Settings
from transforms.coassessment import SCALES
from transforms.codes import fold, fold_text, mission_code, programme_code

COLUMNS = {
    "body": pl.String,
    "year": pl.Int32,
    "function": pl.String,
    "respondent_type": pl.String,
    "respondent": pl.String,
    **{s: pl.Int8 for s in SCALES},
    "note": pl.String,
    "sheet": pl.String,
    "source_row": pl.Int32,
}


@cache
def config() -> dict:
    return yaml.safe_load((DATA_DIR / "coassessment" / "coassessment.yaml").read_text(encoding="utf-8"))


@cache
def t_quantiles() -> pl.DataFrame:
    return pl.read_csv(DATA_DIR / "coassessment" / "t_quantiles.csv")


@dataclass
class RatingsFile:
    file: str
    ratings: pl.DataFrame = field(default_factory=lambda: pl.DataFrame(schema=COLUMNS))
    findings: list[Finding] = field(default_factory=list)
    kind: str | None = None

    @property
    def ok(self) -> bool:
        return not any(f.is_error for f in self.findings)


def read_ratings(path: Path, settings: Settings, display_name: str | None = None) -> RatingsFile:
    name = display_name or path.name
    container, refused = inspect_file(path, settings, name)
    if container is None:
        return RatingsFile(name, findings=refused)
    grid = read_csv_grid(container) if container.kind == "csv" else _sheet(container)
    if grid is None:
        return RatingsFile(
            name,
            findings=[Finding("HEADER_NOT_FOUND", file=name, params={"expected": _expected()})],
            kind=container.kind,
        )
    out = _checked(grid, name, settings)
    out.kind = container.kind
    return out


def _sheet(container) -> Grid | None:
    """The questionnaire's sheet (``Valutazioni``), else the first sheet whose head has the header."""
    reader = open_workbook(container)
    wanted = config()["sheet"]
    ordered = sorted(container.sheets, key=lambda s: s.name != wanted)
    for sheet in ordered:
        grid = read_sheet(reader, container, sheet)
        if _header(grid) is not None:
            return grid
    return None


def _expected() -> str:
    return ", ".join(config()["columns"][c][0].capitalize() for c in config()["required"])


def _header(grid: Grid) -> tuple[int, dict[str, int]] | None:
    """The header row and each field's column, by the names the layout accepts (folded)."""
    names = {field_name: {fold_text(t) for t in texts} for field_name, texts in config()["columns"].items()}
    for index, row in enumerate(grid.head_cells()):
        found = {}
        for col, cell in enumerate(row):
            for field_name, texts in names.items():
                if cell in texts and field_name not in found:
                    found[field_name] = col
        if len(found) >= 3:
            return index, found
    return None


def _checked(grid: Grid, name: str, settings: Settings) -> RatingsFile:
    header, position = _header(grid)
    missing = [c for c in config()["required"] if c not in position]
    if missing:
        return RatingsFile(
            name,
            findings=[
                Finding("COLUMN_MISSING", file=name, sheet=grid.sheet, row=grid.excel_row(header), params={"column": m})
                for m in missing
            ],
        )
    body = grid.frame.slice(header + 1).with_row_index("_row", offset=header + 1)
    raw = body.select(pl.col("_row"), *[pl.col(f"c{i}").str.strip_chars().alias(f) for f, i in position.items()])
    answered = [
        c for c in raw.columns if c not in ("_row", "body", "year", "note")
    ]  # body and year may come pre-filled
    raw = raw.filter(pl.any_horizontal(pl.col(answered).is_not_null() & (pl.col(answered) != "")))
    letter = {f: column_letter(grid.first_col + i) for f, i in position.items()}
    findings: list[Finding] = []

    def at(field_name: str, row: int) -> dict:
        return {
            "file": name,
            "sheet": grid.sheet,
            "cell": f"{letter[field_name]}{grid.excel_row(row)}",
            "row": grid.excel_row(row),
        }

    if raw.is_empty():
        return RatingsFile(name, findings=[Finding("RATINGS_NO_ROWS", file=name, sheet=grid.sheet)])
    bodies = {v: resolve_body(v) for v in raw["body"].drop_nulls().unique().to_list()}
    types = {
        fold_text(v): key
        for key, words in config()["respondent_types"].items()
        for v in (key, words["it"], words["en"])
    }
    valid_functions = set(programmes()["code"]) | set(missions()["code"])
    parsed = raw.with_columns(
        body_code=pl.col("body").replace_strict(bodies, default=None, return_dtype=pl.String),
        year_value=pl.col("year").str.extract(r"^(\d{4})", 1).cast(pl.Int32, strict=False),
        function_code=pl.when(pl.col("function").str.contains(r"^\d{1,2}$"))
        .then(mission_code(pl.col("function")))
        .otherwise(programme_code(fold(pl.col("function")))),  # a mission (10) or a programme (10.05, 1005, 10.5)
        type_key=fold(pl.col("respondent_type")).replace_strict(types, default=None, return_dtype=pl.String),
        **{
            f"{s}_value": pl.col(s).str.extract(r"^(\d+)(?:[.,]0+)?\b", 1).cast(pl.Int8, strict=False)
            if s in position
            else pl.lit(None, pl.Int8)
            for s in SCALES
        },
    )
    for row in parsed.iter_rows(named=True):
        r = row["_row"]
        if row["body_code"] is None:
            findings.append(Finding("BODY_UNKNOWN", **at("body", r), params={"value": row["body"] or ""}))
        if row["year_value"] is None or not plausible_year(row["year_value"], settings):
            findings.append(
                Finding(
                    "YEAR_IMPLAUSIBLE",
                    **at("year", r),
                    params={"value": row["year"] or "", "min_year": settings.min_year, "max_year": "…"},
                )
            )
        if row["function_code"] not in valid_functions:
            findings.append(Finding("PROGRAMME_UNKNOWN", **at("function", r), params={"value": row["function"] or ""}))
        if row["type_key"] is None:
            findings.append(
                Finding(
                    "RATING_TYPE_UNKNOWN",
                    **at("respondent_type", r),
                    params={
                        "value": row["respondent_type"] or "",
                        "allowed": ", ".join(w["it"] for w in config()["respondent_types"].values()),
                    },
                )
            )
        if not row["respondent"]:
            findings.append(Finding("RESPONDENT_MISSING", **at("respondent", r)))
        scored = 0
        for s in SCALES:
            text = row.get(s)
            if text in (None, ""):
                continue
            value = row[f"{s}_value"]
            if value is None or not 1 <= value <= 5:
                findings.append(Finding("RATING_OUT_OF_SCALE", **at(s, r), params={"value": text, "scale": s}))
            else:
                scored += 1
        if not scored and not any(f.row == grid.excel_row(r) and f.code == "RATING_OUT_OF_SCALE" for f in findings):
            findings.append(Finding("RATING_EMPTY", **at(next((s for s in SCALES if s in letter), "respondent"), r)))
    ratings = parsed.select(
        pl.col("body_code").alias("body"),
        pl.col("year_value").alias("year"),
        pl.col("function_code").alias("function"),
        pl.col("type_key").alias("respondent_type"),
        "respondent",
        *[pl.col(f"{s}_value").alias(s) for s in SCALES],
        (pl.col("note") if "note" in parsed.columns else pl.lit(None, pl.String)).alias("note"),
        pl.lit(grid.sheet, pl.String).alias("sheet"),
        (pl.col("_row") + grid.first_row + 1).cast(pl.Int32).alias("source_row"),
    )
    key = ["body", "year", "function", "respondent"]
    repeated = ratings.with_columns(_first=pl.col("source_row").min().over(key)).filter(
        pl.col("source_row") != pl.col("_first"), pl.all_horizontal(pl.col(key).is_not_null())
    )
    for row in repeated.iter_rows(named=True):
        findings.append(
            Finding(
                "DUPLICATE_KEY",
                file=name,
                sheet=grid.sheet,
                cell=f"{letter['respondent']}{row['source_row']}",
                row=row["source_row"],
                params={"key": f"{row['function']} / {row['respondent']}", "other_row": row["_first"]},
            )
        )
    findings.sort(key=lambda f: (f.row or 0, f.cell or ""))
    return RatingsFile(
        name, ratings.cast(COLUMNS) if not any(f.is_error for f in findings) else pl.DataFrame(schema=COLUMNS), findings
    )
