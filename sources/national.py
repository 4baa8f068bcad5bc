"""National open-data extracts (BDAP, programme level) read streaming: gigabytes in, provinces out.

The layout profile (``engine: stream``, ``data/layouts/48_bdap_programmes.yaml``) names the columns.
Only the header line is read eagerly; the rest goes through polars' streaming CSV scan with the
body-type filter inside the scan, so only the rows of provinces and metropolitan cities (about 2 %
of a national file) ever reach memory, each with its line number for the findings.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass, field
from pathlib import Path

import polars as pl

from sources.findings import Finding, column_letter
from sources.layouts import Profile, other_columns, profiles
from transforms.codes import fold_text

LINE = "_line"  # 1-based line of the file (the header is line 1)


@dataclass
class Scan:
    """What the scan kept: the selected rows (raw text, renamed to the profile's fields) and where each field was."""

    profile: Profile
    rows: pl.DataFrame
    letters: dict[str, str] = field(default_factory=dict)  # field or amount kind -> column letter in the file
    phase: str | None = None
    findings: list[Finding] = field(default_factory=list)


def header_of(path: Path, profile: Profile, first_line: str | None = None) -> list[str]:
    """The file's column names as written (first line only; ``first_line`` when the caller decoded it already)."""
    options = profile.spec.get("csv", {})
    if first_line is None:
        with path.open("rb") as handle:
            first = handle.readline(1 << 16)
        first_line = first.decode("utf-8") if _is_utf8(first) else first.decode("latin-1")
    try:
        return next(
            csv.reader(
                [first_line.lstrip("\ufeff").rstrip("\r\n").replace("\0", "")],
                delimiter=options.get("separator", ";"),
                quotechar=options.get("quote", '"'),
            ),
            [],
        )
    except csv.Error:
        return []


def stream_profile(path: Path, first_line: str | None = None) -> Profile | None:
    """The streaming profile whose fields the file's first line names, if any."""
    for candidate in profiles():
        if candidate.engine != "stream":
            continue
        folded = {fold_text(h) for h in header_of(path, candidate, first_line)}
        if all(folded & set(candidate.spec["columns"][f]) for f in candidate.detect["fields"]):
            return candidate
    return None


def scan(path: Path, profile: Profile, file_name: str | None = None) -> Scan:
    """The selected rows of the file, or findings saying which column the profile could not find."""
    name = file_name or path.name
    spec = profile.spec
    header = header_of(path, profile)
    folded = [fold_text(h) for h in header]
    position = {f: _first(folded, texts) for f, texts in spec["columns"].items()}
    amounts = {k: _first(folded, texts) for k, texts in spec["amount_columns"].items()}
    position = {f: i for f, i in position.items() if i is not None}
    amounts = {k: i for k, i in amounts.items() if i is not None}
    findings = [
        Finding("COLUMN_MISSING", file=name, row=1, params={"column": f})
        for f in spec.get("required", [])
        if f not in position
    ]
    if not amounts:
        findings.append(
            Finding("COLUMN_MISSING", file=name, row=1, params={"column": "/".join(spec["amount_columns"])})
        )
    phases = [p for p, texts in spec.get("phase_from_columns", {}).items() if _first(folded, texts) is not None]
    if findings:
        return Scan(profile, pl.DataFrame(), findings=findings)
    others = other_columns(spec, folded, set(position.values()) | set(amounts.values()))
    options = spec.get("csv", {})
    lazy = pl.scan_csv(
        path,
        separator=options.get("separator", ";"),
        quote_char=options.get("quote", '"'),
        infer_schema=False,
        encoding="utf8-lossy",
        row_index_name=LINE,
        row_index_offset=2,
    )
    columns = lazy.collect_schema().names()[
        1:
    ]  # as polars names them (a blank or repeated header gets a name of its own)
    wanted = (
        {n: i for n, i in position.items()}
        | {f"_amount_{k}": i for k, i in amounts.items()}
        | {f"_other_{i}": i for i in others.unknown}
    )
    rows = (
        lazy.filter(_folded(pl.col(columns[position["body_type"]])).str.contains(spec["body_filter"]))
        .select(pl.col(LINE).cast(pl.Int64), *[pl.col(columns[i]).alias(n) for n, i in wanted.items()])
        .collect(engine="streaming")
    )
    notes = [
        Finding(
            "COLUMN_NOT_KEPT",
            file=name,
            row=1,
            cell=f"{column_letter(i)}1",
            params={"label": header[i], "reason": reason},
        )
        for i, reason in others.not_kept.items()
    ]
    if others.unknown:  # a column nobody reads is reported when the selected rows give it values
        filled = rows.select(
            (pl.col(f"_other_{i}").str.strip_chars().fill_null("") != "").any() for i in others.unknown
        ).row(0)
        notes += [
            Finding(
                "COLUMN_NOT_READ",
                file=name,
                row=1,
                cell=f"{column_letter(i)}1",
                params={"label": header[i] or column_letter(i), "layout": profile.name},
            )
            for i, has_values in zip(others.unknown, filled)
            if has_values
        ]
        rows = rows.drop(f"_other_{i}" for i in others.unknown)
    letters = {f: column_letter(i) for f, i in position.items()} | {k: column_letter(i) for k, i in amounts.items()}
    return Scan(profile, rows, letters, phases[-1] if len(phases) == 1 else None, notes)


def _folded(expr: pl.Expr) -> pl.Expr:
    """Lower case; accents of a lossily decoded latin-1 file are gone anyway (``città`` may read ``citt�``)."""
    return expr.str.to_lowercase()


def _first(folded: list[str], texts: list[str]) -> int | None:
    return next((i for i, h in enumerate(folded) if h in texts), None)


def _is_utf8(data: bytes) -> bool:
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True
