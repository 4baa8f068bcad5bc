"""How the two files of ``demo/replacements/`` were made (run once; the files are bundled).

Two replacements of a forecast already in use, as officers send them (docs/REPLACEMENTS.md):

* ``237_2026_previsione_bozza.xlsx``: Bologna's officer fills seven lines of the template by hand (a draft)
  and sends it for the year whose complete forecast (6,030 lines) is in use. Missions disappear, spending
  falls by 94 % and is 10,59 € per inhabitant: the demo leaves it **held**, the complete forecast stays in use.
* ``002_2026_previsione_variazione.xlsx``: Vercelli's forecast after a budget variation that adds PNRR
  investment (title 2 of school buildings, 04, and roads, 10, doubled). Total spending grows by more than
  20 %, so it is held too; the demo then **confirms** it, as the officer would, and it becomes current.

    .venv/bin/python demo/make_replacements.py
"""

from __future__ import annotations

import sys
from pathlib import Path

import openpyxl

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sources.template import write_template

HERE = Path(__file__).parent
DRAFT = [
    ("10", "10.05", "1", "1.03", 3_512_000.00, "Manutenzione ordinaria strade"),
    ("10", "10.05", "2", "2.02", 2_850_000.00, "Rifacimento SP 325"),
    ("04", "04.02", "1", "1.03", 1_420_689.14, "Utenze e pulizie scuole superiori"),
    ("04", "04.02", "2", "2.02", 1_750_000.00, "Adeguamento sismico istituti"),
    ("09", "09.02", "1", "1.03", 310_000.00, "Gestione aree protette"),
    ("01", "01.02", "1", "1.01", 397_000.00, "Segreteria generale"),
    ("08", "08.01", "1", "1.03", 100_000.00, "Piano territoriale metropolitano"),
]


def draft(path: Path) -> None:
    write_template(path, "237", 2026, "previsione")
    workbook = openpyxl.load_workbook(path)
    sheet = workbook["Dati"]
    for i, (mission, programme, title, macro, euro, text) in enumerate(DRAFT):
        for j, value in enumerate((mission, programme, title, macro, "Stanziamento di competenza", euro, "", text)):
            sheet.cell(row=6 + i, column=1 + j, value=value)
    workbook.save(path)


def variation(source: Path, path: Path) -> None:
    workbook = openpyxl.load_workbook(source)
    sheet = workbook["Dati"]
    for row in sheet.iter_rows(min_row=6):
        mission, title, amount = row[0].value, row[2].value, row[5]
        if mission in ("04", "10") and title == "2" and isinstance(amount.value, (int, float)):
            amount.value = round(amount.value * 2, 2)
    workbook.save(path)


if __name__ == "__main__":
    draft(HERE / "replacements" / "237_2026_previsione_bozza.xlsx")
    variation(
        HERE / "inbox" / "002_2026_previsione_template.xlsx",
        HERE / "replacements" / "002_2026_previsione_variazione.xlsx",
    )
