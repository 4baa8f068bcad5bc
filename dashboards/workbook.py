"""The Excel report: one workbook per body, year and phase, Italian, styled for reading and printing.

Sheets: Sintesi, Matrice (table and chart), Priorità, Enti simili, Piano di riassetto, Scenari, Dati, Controlli,
Metodo. Values only (no formulas). Every text that comes from inputs is written with
``write_string``, so no cell can become a formula whatever it starts with (``=``, ``+``, ``-``, ``@``).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from dashboards.workbook_analysis import (
    changes_sheet,
    indicators_sheet,
    matrix_sheet,
    peers_sheet,
    plan_counts,
    priorities_sheet,
    ratings_sheet,
    strategy_sheet,
    summary_sheet,
)
from dashboards.workbook_plans import plan_sheet, scenarios_sheet
from dashboards.workbook_records import checks_sheet, data_sheet, method_sheet
from dashboards.workbook_sheet import ReportBook, ReportInputs, formats
from sources.reference import body_name

__all__ = ["ReportInputs", "plan_counts", "write_report"]

SHEETS = (
    summary_sheet,
    changes_sheet,
    matrix_sheet,
    ratings_sheet,
    priorities_sheet,
    indicators_sheet,
    peers_sheet,
    strategy_sheet,
    plan_sheet,
    scenarios_sheet,
    data_sheet,
    checks_sheet,
    method_sheet,
)  # in the workbook's order


def write_report(inputs: ReportInputs, path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    workbook = ReportBook(str(path), {"default_format_properties": {"valign": "top"}})
    workbook.set_properties(
        {
            "title": f"areavasta - {body_name(inputs.body)} {inputs.year} {inputs.phase}",
            "author": "areavasta",
            "created": inputs.as_of or dt.datetime(2000, 1, 1),
            **({"comments": f"manifest {inputs.manifest_id}"} if inputs.manifest_id else {}),
        }
    )
    fmt = formats(workbook, inputs.lang)
    for sheet in SHEETS:
        sheet(workbook, fmt, inputs)
    workbook.close()  # fits every sheet's columns, rows and page first
    return path
