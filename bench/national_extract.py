"""A national BDAP programme-level spending extract, generated at full size for the benchmarks.

    .venv/bin/python bench/national_extract.py --gigabytes 5 [--out bench/.corpus/bdap_national.csv] [--all-kinds]

Shaped as ``docs/BUDGET_FILE_LAYOUTS.md`` §2 describes BDAP's open data: ``;``-separated, every
field quoted, latin-1, CRLF, US decimals (``1830430918.43``); one row per body × year × mission ×
programme × title × macroaggregate, for every local body (comuni, unions, provinces, metropolitan
cities, agencies) of Italy over ten years. A province's rows carry its capoluogo's ``Codice Comune``
(the pitfall the reader must not fall into). Bodies other than the 107 provinces and metropolitan
cities are invented; the provinces' codes and names are the real ones (``areavasta/data/reference``).
By default a row carries three amounts (appropriation, commitments, total payments); ``--all-kinds``
writes the 13 amount columns of BDAP's final accounts (issue 27), each derived from one random base by
the identities of the conto del bilancio, so a row is about 1.34 times larger.
"""

from __future__ import annotations

import argparse
import io
import sys
import time
from pathlib import Path

import polars as pl

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sources.reference import DATA_DIR

HEADER = [
    "Esercizio Finanziario",
    "Codice Tipologia Soggetto",
    "Descrizione Tipologia Soggetto",
    "Codice BDAP",
    "Denominazione Soggetto",
    "CF Soggetto",
    "Data Cessazione Soggetto",
    "Codice Zona Geografica",
    "Descrizione Zona Geografica",
    "Codice Regione",
    "Descrizione Regione",
    "Codice Provincia",
    "Descrizione Provincia",
    "Codice Comune",
    "Descrizione Comune",
    "Codice Missione",
    "Descrizione Missione",
    "Codice Programma",
    "Descrizione Programma",
    "Codice Titolo",
    "Descrizione Titolo",
    "Codice Macroaggregato",
    "Descrizione Macroaggregato",
    "Previsioni Definitive di Competenza",
    "Impegni",
    "Totale Pagamenti",
]
ALL_KINDS = [
    "Residui Passivi Iniziali",
    "Previsioni Definitive di Competenza",
    "Previsioni Definitive di Cassa",
    "Pagamenti C/Residuo",
    "Pagamenti C/Competenza",
    "Totale Pagamenti",
    "Riaccertamenti Residui",
    "Impegni",
    "Fondo Puriennale Vincolato",
    "Economie C/Competenza",
    "Residui Passivi da Esercizi Precedenti",
    "Residui Passivi da Esercizio di Competenza",
    "Residui Passivi da riportare",
]
TYPES = {
    "province": ("3", "PROVINCE/CITTA' METROPOLITANE"),
    "comune": ("1", "COMUNI"),
    "union": ("2", "UNIONI DI COMUNI"),
    "agency": ("9", "ALTRI ENTI LOCALI"),
}
REFERENCE = DATA_DIR / "reference"


def _lines(per_body: int, seed: int) -> pl.DataFrame:
    """``per_body`` (mission, programme, title, macroaggregate) combinations a body reports in a year."""
    programmes = pl.read_csv(REFERENCE / "programmi.csv", infer_schema=False).filter(pl.col("regions_only") == "false")
    macros = pl.read_csv(REFERENCE / "macroaggregati_spesa.csv", infer_schema=False).filter(
        pl.col("parent_code").is_in(["1", "2"])
    )
    missions = pl.read_csv(REFERENCE / "missioni.csv", infer_schema=False)
    combos = programmes.join(macros, how="cross", suffix="_m").sample(n=per_body, seed=seed).sort("code", "code_m")
    return combos.join(
        missions.select(pl.col("code").alias("parent_code"), pl.col("name").alias("mission_name")), on="parent_code"
    ).select(
        mission=pl.col("parent_code"),
        mission_name="mission_name",
        programme=pl.col("code").str.replace(".", "", literal=True),
        programme_name=pl.col("name"),
        title=pl.col("parent_code_m"),
        title_name=pl.when(pl.col("parent_code_m") == "1")
        .then(pl.lit("Spese correnti"))
        .otherwise(pl.lit("Spese in conto capitale")),
        macro=pl.col("code_m").str.replace(".", "", literal=True),
        macro_name=pl.col("name_m"),
    )


def _bodies(n_local: int) -> pl.DataFrame:
    enti = pl.read_csv(REFERENCE / "enti.csv", infer_schema=False)
    provinces = enti.select(
        kind=pl.lit("province"),
        bdap=pl.lit("1") + pl.col("istat_code").str.zfill(9),
        name=pl.col("ente_denominazione").str.to_uppercase(),
        region_code="region_code",
        region="region",
        province_code="historical_province_code",
        province=pl.col("name"),
        comune_code=pl.lit("001"),
        comune=pl.col("capoluogo"),
    )
    n = n_local
    index = pl.int_range(0, n, eager=True)
    picked = provinces.sample(n=n, with_replacement=True, seed=7, shuffle=True)
    kinds = pl.Series(["comune"] * 90 + ["union"] * 6 + ["agency"] * 4).sample(n=n, with_replacement=True, seed=3)
    local = picked.with_columns(
        kind=kinds,
        bdap=(pl.lit("2") + (index + 1).cast(pl.String).str.zfill(9)),
        comune_code=((index % 300) + 1).cast(pl.String).str.zfill(3),
    )
    local = local.with_columns(
        name=pl.when(pl.col("comune_code") == "001")
        .then(pl.lit("COMUNE DI ") + pl.col("comune").str.to_uppercase())
        .otherwise(pl.lit("ENTE LOCALE ") + pl.col("bdap")),
        comune=pl.when(pl.col("comune_code") == "001")
        .then(pl.col("comune"))
        .otherwise(pl.lit("Località ") + pl.col("bdap")),
    )
    return pl.concat([provinces, local.select(provinces.columns)])


def _all_amounts(base: pl.Series) -> list[pl.Series]:
    """The 13 final-accounts amounts of ``ALL_KINDS`` (cents → US text), consistent by the scheme's identities."""
    cents = base.cast(pl.Int64)
    cp, i, rs = cents * 12 // 10, cents, cents // 2
    pc, fpv, pr = cents * 8 // 10, cents // 20, rs * 6 // 10
    r = -(rs // 50)
    ep, ec = rs - pr + r, i - pc
    values = [rs, cp, cp + rs - pr, pr, pc, pr + pc, r, i, fpv, cp - i - fpv, ep, ec, ep + ec]
    return [(v.cast(pl.Float64) / 100).round(2).cast(pl.String).alias(f"a{k}") for k, v in enumerate(values)]


def _chunk(bodies: pl.DataFrame, years: list[int], lines: pl.DataFrame, seed: int, all_kinds: bool = False) -> bytes:
    rows = bodies.join(pl.DataFrame({"year": years}), how="cross").join(lines, how="cross")
    n = rows.height
    base = pl.int_range(0, n, eager=True).hash(seed) % 500_000_000
    if all_kinds:
        amounts = _all_amounts(base)
    else:
        amounts = [
            (base.cast(pl.Float64) / 100 * 1.2).round(2).cast(pl.String).alias("budget"),
            (base.cast(pl.Float64) / 100).round(2).cast(pl.String).alias("commitments"),
            (base.cast(pl.Float64) / 100 * 0.8).round(2).cast(pl.String).alias("payments"),
        ]
    frame = rows.select(
        pl.col("year").cast(pl.String),
        pl.col("kind").replace_strict({k: v[0] for k, v in TYPES.items()}),
        pl.col("kind").replace_strict({k: v[1] for k, v in TYPES.items()}).alias("type_name"),
        "bdap",
        "name",
        pl.lit("00000000000").alias("cf"),
        pl.lit("").alias("ceased"),
        pl.lit("1").alias("zone"),
        pl.lit("NORD-OVEST").alias("zone_name"),
        "region_code",
        pl.col("region").str.to_uppercase(),
        "province_code",
        pl.col("province").str.to_uppercase(),
        "comune_code",
        pl.col("comune").str.to_uppercase(),
        "mission",
        "mission_name",
        "programme",
        "programme_name",
        "title",
        "title_name",
        "macro",
        "macro_name",
        *amounts,
    )
    buffer = io.BytesIO()
    frame.write_csv(buffer, separator=";", quote_style="always", include_header=False, line_terminator="\r\n")
    return buffer.getvalue().decode("utf-8").encode("latin-1")


def write_extract(
    path: Path,
    gigabytes: float = 5.0,
    years: int = 10,
    first_year: int = 2016,
    province_lines: int = 260,
    local_lines: int = 150,
    all_kinds: bool = False,
) -> dict:
    """Write the extract; returns its size, row counts and the provinces' share (``all_kinds``: the 13 amount
    columns)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    year_list = list(range(first_year, first_year + years))
    province_rows, local_rows = _lines(province_lines, 1), _lines(local_lines, 2)
    row_bytes = 480 if all_kinds else 360  # measured average of a quoted row
    n_local = max(100, int(gigabytes * 1e9 / row_bytes / years / local_lines))
    bodies = _bodies(n_local)
    provinces, local = bodies.filter(pl.col("kind") == "province"), bodies.filter(pl.col("kind") != "province")
    columns = HEADER[:-3] + ALL_KINDS if all_kinds else HEADER
    header = ";".join(f'"{h}"' for h in columns).encode("latin-1") + b"\r\n"
    written = {"rows": 0, "province_rows": provinces.height * years * province_lines}
    with path.open("wb") as out:
        out.write(header)
        starts = list(range(0, local.height, 200))  # ~300k rows a chunk: memory stays flat
        every = max(1, len(starts) // years)  # the provinces' years spread through the file, as bodies are in BDAP's
        pending = list(year_list)
        for number, start in enumerate(starts):
            if number % every == 0 and pending:
                out.write(_chunk(provinces, [pending.pop(0)], province_rows, 11, all_kinds))
            part = local.slice(start, 200)
            out.write(_chunk(part, year_list, local_rows, start, all_kinds))
            written["rows"] += part.height * years * local_lines
        for year in pending:
            out.write(_chunk(provinces, [year], province_rows, 11, all_kinds))
    written["rows"] += written["province_rows"]
    written["bytes"] = path.stat().st_size
    written["bodies"] = bodies.height
    return written


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--gigabytes", type=float, default=5.0)
    parser.add_argument("--out", type=Path, default=Path(__file__).parent / ".corpus" / "bdap_national.csv")
    parser.add_argument("--all-kinds", action="store_true", help="the 13 amount columns of BDAP's final accounts")
    args = parser.parse_args()
    started = time.perf_counter()
    stats = write_extract(args.out, args.gigabytes, all_kinds=args.all_kinds)
    print(
        f"{args.out}: {stats['bytes'] / 1e9:.2f} GB, {stats['rows']:,} rows ({stats['province_rows']:,} of provinces"
        f" and metropolitan cities), {stats['bodies']:,} bodies, written in {time.perf_counter() - started:.0f} s"
    )


if __name__ == "__main__":
    main()
