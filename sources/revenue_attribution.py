"""Which revenue belongs to which function: the product's defaults and each body's own file.

A body's file ``<home>/revenue/<body>.csv`` has the columns ``tipologia, programma, share, reason``
(``tipologia`` as in the revenue export, e.g. ``30100``; ``share`` between 0 and 1). Its rows
replace the defaults for the tipologie they name. A file with a wrong code, a share out of range,
a missing reason or shares adding up to more than the whole revenue is refused with a message
naming file, row and column; nothing of it is used.
"""

from __future__ import annotations

from pathlib import Path

import polars as pl

from sources.reference import DATA_DIR, code_sets
from transforms.revenue import ATTRIBUTION_COLUMNS, over_allocated

DEFAULT_FILE = DATA_DIR / "portfolio" / "revenue_attribution.csv"


class AttributionError(ValueError):
    """A body's attribution file that cannot be used; the message is in Italian and names the cell."""


def _read(path: Path, body: str | None) -> pl.DataFrame:
    frame = pl.read_csv(path, infer_schema=False)
    missing = {"tipologia", "programma", "share", "reason"} - set(frame.columns)
    if missing:
        raise AttributionError(f"{path.name}: mancano le colonne {', '.join(sorted(missing))}")
    codes = code_sets()
    for i, row in enumerate(frame.iter_rows(named=True), start=2):
        where = f"{path.name}, riga {i}"
        if row["tipologia"] not in codes["tipologia"]:
            raise AttributionError(f"{where}, colonna tipologia: '{row['tipologia']}' non è una tipologia di entrata")
        if row["programma"] not in codes["programma"]:
            raise AttributionError(f"{where}, colonna programma: '{row['programma']}' non è un programma di spesa")
        try:
            share = float(str(row["share"]).replace(",", "."))
        except ValueError:
            share = -1.0
        if not 0 < share <= 1:
            raise AttributionError(f"{where}, colonna share: '{row['share']}' deve essere una quota tra 0 e 1")
        if not (row["reason"] or "").strip():
            raise AttributionError(f"{where}, colonna reason: serve la motivazione dell'attribuzione")
    out = frame.with_columns(body=pl.lit(body, pl.String), share=pl.col("share").str.replace(",", ".").cast(pl.Float64))
    return out.select(list(ATTRIBUTION_COLUMNS)).cast(ATTRIBUTION_COLUMNS)


def attribution(home: Path | None, bodies: list[str]) -> pl.DataFrame:
    """Default rows (``body`` null) plus the files of these bodies under ``home/revenue``."""
    frames = [_read(DEFAULT_FILE, None)]
    for body in bodies if home else []:
        path = Path(home) / "revenue" / f"{body}.csv"
        if path.exists():
            frames.append(_read(path, body))
    merged = pl.concat(frames)
    too_much = over_allocated(merged)
    if too_much.height:
        row = too_much.row(0, named=True)
        raise AttributionError(
            f"ente {row['body'] or 'predefinito'}, tipologia {row['tipologia']}: le quote sommano a "
            f"{row['total']:.0%}, più dell'intera entrata"
        )
    return merged
