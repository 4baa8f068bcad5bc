"""Benchmark: areavasta against the script an analyst would otherwise write (pandas + openpyxl).

    # the analyst's tool, deliberately not in requirements.lock (pyproject: bench)
    .venv/bin/pip install "pandas>=2.2,<3"
    .venv/bin/python bench/analyst.py [--files 25]

Same files (the template workbooks of bench/ingest.py's corpus), same result: commitments per body,
programme and spending class. Measured three ways: the analyst's pandas + openpyxl script; areavasta's
read and aggregation (calamine + polars, what the pipeline's metrics do); and areavasta's full intake
(validation, archive, warehouse) followed by the metrics stage.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd
import polars as pl

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from pipelines import stages as analytics
from sources.catalogues import spending_classes
from sources.settings import load_settings
from warehouse import store as warehouse
from warehouse.ingest import ingest_files

CORPUS = Path(__file__).parent / ".corpus"
CLASSES = {row["macroaggregato"]: row["spending_class"] for row in spending_classes().iter_rows(named=True)}


def analyst(paths: list[Path]) -> pd.DataFrame:
    """What a careful analyst writes: read each sheet with pandas/openpyxl, keep commitments, map classes, pivot."""
    frames = []
    for path in paths:
        body = path.name[:3]
        df = pd.read_excel(path, sheet_name="Dati", header=4, dtype=str, engine="openpyxl")
        df = df[df["Tipo importo"] == "Impegni"].copy()
        df["importo"] = df["Importo"].astype(float)
        df["classe"] = df["Macroaggregato"].str[:4].map(CLASSES)
        df["body"] = body
        frames.append(df.groupby(["body", "Programma", "classe"], as_index=False)["importo"].sum())
    return pd.concat(frames)


def areavasta_read(paths: list[Path]) -> pl.DataFrame:
    """The same with calamine and polars."""
    import fastexcel

    frames = []
    for path in paths:
        df = fastexcel.read_excel(str(path)).load_sheet("Dati", header_row=4, dtypes="string").to_polars()
        frames.append(
            df.filter(pl.col("Tipo importo") == "Impegni").with_columns(
                body=pl.lit(path.name[:3]),
                importo=pl.col("Importo").cast(pl.Float64),
                classe=pl.col("Macroaggregato").str.slice(0, 4).replace_strict(CLASSES, default=None),
            )
        )
    return pl.concat(frames).group_by("body", "Programma", "classe").agg(pl.col("importo").sum())


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--files", type=int, default=25)
    args = parser.parse_args()
    paths = sorted(CORPUS.glob("*_template.xlsx"))
    if not paths:
        raise SystemExit("run bench/ingest.py first: it builds the corpus")
    paths = paths[:: max(1, len(paths) // args.files)][: args.files]
    start = time.perf_counter()
    reference = analyst(paths)
    t_analyst = time.perf_counter() - start
    start = time.perf_counter()
    ours = areavasta_read(paths)
    t_read = time.perf_counter() - start
    assert abs(reference["importo"].sum() - ours["importo"].sum()) < 1, "both must find the same commitments"
    home = Path(tempfile.mkdtemp(prefix="areavasta-analyst-"))
    settings = load_settings().with_(home=home)
    start = time.perf_counter()
    ingest_files(paths, settings, workers=2)
    with warehouse.connect(settings.warehouse_path) as con:
        for name, (frame, keys) in analytics.stage_metrics(con, analytics.present_keys(con)).tables.items():
            warehouse.replace_partitions(con, name, frame, keys)
    t_full = time.perf_counter() - start
    shutil.rmtree(home)
    print(f"{len(paths)} workbooks, {len(reference):,} result rows")
    print(f"analyst script (pandas + openpyxl):         {t_analyst:6.2f} s")
    print(
        f"areavasta read + aggregate (calamine+polars): {t_read:6.2f} s  -> {t_analyst / t_read:5.1f}x faster"
        " (target >= 10)"
    )
    print(f"areavasta full intake + metrics stage:        {t_full:6.2f} s  -> {t_analyst / t_full:5.1f}x faster")


if __name__ == "__main__":
    main()
