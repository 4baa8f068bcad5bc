"""The words a person reads instead of an internal key (``data/report_labels.yaml``), loaded once.

Shared by the pages, the workbook, the plans and the co-assessment (``dashboards.words`` writes with them).
"""

from __future__ import annotations

from functools import cache

import yaml

from sources.reference import DATA_DIR


@cache
def report_labels() -> dict:
    return yaml.safe_load((DATA_DIR / "report_labels.yaml").read_text(encoding="utf-8"))


def label(key: str, lang: str):
    return report_labels()[key][lang]
