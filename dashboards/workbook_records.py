"""The workbook's record sheets: Dati (the loaded files), Controlli, Metodo."""

from __future__ import annotations

import polars as pl

from dashboards.words import (
    date_time,
    parameter_rows,
    short_checksum,
)
from dashboards.workbook_sheet import Sheet, page_heading
from sources.layouts import profile
from transforms.classify import REASONS


def data_sheet(workbook, fmt, inputs):
    columns = [
        "function",
        "name",
        "kind",
        "coarse",
        "total_cents",
        "direct_cents",
        "support_allocated_cents",
        "full_cents",
        "per_capita_eur",
        "transfer_share",
        "operating_share",
        "financial_share",
        "rigid_share",
        "capital_share",
        "authority",
        "quadrant",
        "not_classified",
        "revenue_cents",
        "cost_recovery_share",
        "revenue_sources",
    ]
    s = Sheet(
        workbook, inputs.t("data"), fmt, [7, 28, 10, 8, 15, 15, 15, 15, 10, 9, 9, 9, 9, 9, 8, 12, 28, 15, 9, 40], inputs
    )
    s.title(inputs.t("data_title"), page_heading(inputs))
    s.header(*inputs.t("data_header"))
    kinds = {
        "total_cents": "euro",
        "direct_cents": "euro",
        "revenue_cents": "euro",
        "support_allocated_cents": "euro",
        "full_cents": "euro",
        "per_capita_eur": "num",
        "authority": "num",
    }
    rows = inputs.functions.sort("function")
    rows = rows.with_columns(cost_recovery_share=pl.col("cost_recovery")) if "cost_recovery" in rows.columns else rows
    lang = inputs.lang
    words = {"kind": inputs.t("kinds"), "not_classified": {k: v[0 if lang == "it" else 1] for k, v in REASONS.items()}}
    for r in rows.iter_rows(named=True):
        cells = []
        r = {**r, "quadrant": r.get(f"service_type_{lang}") or ""}  # the words, never the internal key
        for c in columns:
            v = words[c].get(r.get(c), r.get(c)) if c in words else r.get(c)
            if c.endswith("_share"):
                cells.append((v, "pct"))
            elif c in kinds:
                cells.append((v, kinds[c]))
            elif isinstance(v, bool):
                cells.append(inputs.t("yes_word") if v else "")
            else:
                cells.append("" if v is None else str(v))
        s.line(*cells)
    s.autofilter(len(columns))


def checks_sheet(workbook, fmt, inputs):
    s = Sheet(workbook, inputs.t("checks"), fmt, [36, 18, 12, 22, 70], inputs)
    s.title(inputs.t("checks_title"), inputs.t("checks_subtitle"))
    s.header(*inputs.t("checks_header"))
    for f in inputs.findings:
        s.line(
            f.get("file") or "",
            f.get("sheet") or "",
            f.get("cell") or (str(f.get("row")) if f.get("row") else ""),
            f.get("code") or "",
            f.get("message") or "",
        )
    if not inputs.findings:
        s.line(inputs.t("no_warnings"))


def method_sheet(workbook, fmt, inputs):
    t = inputs.t
    s = Sheet(workbook, t("method"), fmt, [52, 90], inputs)
    s.title(t("method_title"), t("method_subtitle"))
    if inputs.manifest_id:
        s.line(t("manifest"), style="bold")
        s.line(inputs.manifest_id, t("manifest_note").format(id=inputs.manifest_id))
        s.row += 1
    s.line(t("parameters"), style="bold")
    for path, value in parameter_rows(inputs.parameters, inputs.lang):
        s.line(path, value)
    s.row += 1
    s.line(t("catalogues"), style="bold")
    for name, digest in inputs.catalogue_versions.items():
        s.line(name, short_checksum(digest))
    s.row += 1
    s.line(t("sources"), style="bold")
    states = t("upload_states")
    for u in inputs.uploads.iter_rows(named=True):
        layout = layout_description(u["layout"], inputs.lang)
        s.line(
            u["original_name"],
            f"SHA-256 {short_checksum(u['sha256'])} - {t('layout')}: {layout} - {t('received')} "
            f"{date_time(u['received_at'], inputs.lang)} {t('by')} {u['received_by']} -"
            f" {states.get(u['status'], u['status'])}",
        )


def layout_description(name: str | None, lang: str) -> str:
    try:
        return profile(name).description(lang) or name
    except (KeyError, ValueError, TypeError):
        return name or ""
