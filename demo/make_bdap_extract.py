"""How ``demo/national/bdap_programmi_2025_rendiconto.csv`` was made (run once; the file is bundled).

A small national BDAP extract at programme level, in the open-data layout (``;``, every field quoted,
latin-1, CRLF, US decimals; docs/BUDGET_FILE_LAYOUTS.md §2), for the 2025 final accounts:

* Bologna (237), the same figures as the demo's own upload ``237_2025_rendiconto_annex_amount_kinds.xlsx``
  except what BDAP typically shows: €184,250.00 of commitments reclassified from one programme of
  mission 10 to another (the mission agrees, the programmes do not) and a €0.60 rounding on one line
  (within tolerance). Payments are the total, as BDAP gives them (competence + residues).
* Three bodies nobody uploaded (Torino, Milano, Genova), from the sample generator: open-data peers.
* The comune of Bologna, which shares the province's codes: never selected.

    .venv/bin/python demo/make_bdap_extract.py
"""

from __future__ import annotations

import sys
from pathlib import Path

import polars as pl

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sources.intake import validate_file
from sources.reference import bodies
from sources.samples.budget import generate_budget
from sources.settings import load_settings

HERE = Path(__file__).parent
HEADER = [
    "Esercizio Finanziario",
    "Codice Tipologia Soggetto",
    "Descrizione Tipologia Soggetto",
    "Codice BDAP",
    "Denominazione Soggetto",
    "Codice Regione",
    "Descrizione Regione",
    "Codice Provincia",
    "Descrizione Provincia",
    "Codice Comune",
    "Descrizione Comune",
    "Codice Missione",
    "Codice Programma",
    "Codice Titolo",
    "Codice Macroaggregato",
    "Previsioni Definitive di Competenza",
    "Impegni",
    "Totale Pagamenti",
]
MOVED_CENTS = 184_250_00


def _programme_rows(lines: pl.DataFrame) -> pl.DataFrame:
    """Lines → one row per programme × title × macroaggregate, the three BDAP amounts as columns (cents)."""
    kinds = {
        "stanziamento": "budget",
        "impegni": "committed",
        "pagamenti_competenza": "paid",
        "pagamenti_residui": "paid",
        "pagamenti": "paid",
    }
    return (
        lines.filter(pl.col("amount_kind").is_in(list(kinds)))
        .with_columns(column=pl.col("amount_kind").replace_strict(kinds))
        .group_by("missione", "programma", "titolo", "macroaggregato", "column")
        .agg(pl.col("amount_cents").sum())
        .pivot("column", index=["missione", "programma", "titolo", "macroaggregato"], values="amount_cents")
        .fill_null(0)
        .sort("programma", "titolo", "macroaggregato")
    )


def _bologna() -> pl.DataFrame:
    upload = HERE / "inbox" / "237_2025_rendiconto_annex_amount_kinds.xlsx"
    rows = _programme_rows(validate_file(upload, load_settings()).lines)
    mission = (
        rows.filter(pl.col("missione") == "10", pl.col("committed") > MOVED_CENTS * 2)
        .unique("programma", keep="first")
        .sort("programma")
    )
    source, target = mission.row(0, named=True), mission.row(1, named=True)  # two programmes of mission 10
    moved = (
        pl.when((pl.col("programma") == source["programma"]) & (pl.col("macroaggregato") == source["macroaggregato"]))
        .then(-MOVED_CENTS)
        .when((pl.col("programma") == target["programma"]) & (pl.col("macroaggregato") == target["macroaggregato"]))
        .then(MOVED_CENTS)
        .otherwise(0)
    )
    rounding = pl.when(pl.int_range(pl.len()) == 3).then(60).otherwise(0)
    return rows.with_columns(committed=pl.col("committed") + moved, budget=pl.col("budget") + rounding)


def _generated(body: str) -> pl.DataFrame:
    return _programme_rows(generate_budget(body, 2025, "rendiconto"))


def _text(cents: int) -> str:
    return f"{cents // 100}.{cents % 100:02d}" if cents >= 0 else f"-{-cents // 100}.{-cents % 100:02d}"


def main() -> None:
    table = bodies()
    out = []
    for code, frame in [
        ("237", _bologna()),
        ("201", _generated("201")),
        ("215", _generated("215")),
        ("210", _generated("210")),
    ]:
        info = table.filter(pl.col("istat_code") == code).row(0, named=True)
        kinds = [("3", "PROVINCE/CITTA' METROPOLITANE", f"8000{code}", info["ente_denominazione"].upper())]
        if code == "237":  # the capoluogo: same province code, a comune, never selected
            kinds.append(("1", "COMUNI", "100037006", "COMUNE DI BOLOGNA"))
        for kind, kind_name, bdap, name in kinds:
            for r in frame.iter_rows(named=True):
                out.append(
                    [
                        "2025",
                        kind,
                        kind_name,
                        bdap,
                        name,
                        info["region_code"],
                        info["region"].upper(),
                        info["historical_province_code"],
                        info["name"].upper(),
                        "006",
                        info["capoluogo"].upper(),
                        r["missione"],
                        r["programma"].replace(".", ""),
                        r["titolo"],
                        r["macroaggregato"].replace(".", ""),
                        _text(r["budget"]),
                        _text(r["committed"]),
                        _text(r["paid"]),
                    ]
                )
    text = "\r\n".join(";".join(f'"{v}"' for v in row) for row in [HEADER, *out]) + "\r\n"
    target = HERE / "national" / "bdap_programmi_2025_rendiconto.csv"
    target.write_bytes(text.encode("latin-1"))
    print(f"{len(out)} rows written to {target}")


if __name__ == "__main__":
    main()
