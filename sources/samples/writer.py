"""Write many sample files at once (``areavasta sample``, the demo, tests and benchmarks)."""

from __future__ import annotations

from pathlib import Path

from sources.questionnaire import write_questionnaire
from sources.reference import bodies as body_table
from sources.reference import resolve_body
from sources.samples.budget import generate_budget
from sources.samples.layouts import LAYOUTS, write_bdap, write_layout
from sources.samples.ratings import generate_ratings

EXTENSION = {"open_format_matrix": ".csv", "bdap_missions": ".csv"}


def parse_years(text: str) -> list[int]:
    if "-" in text:
        start, end = text.split("-")
        return list(range(int(start), int(end) + 1))
    return [int(y) for y in text.split(",")]


def parse_bodies(text: str) -> list[str]:
    if text == "all":
        return body_table()["istat_code"].to_list()
    codes = [resolve_body(b) for b in text.split(",")]
    if None in codes:
        raise ValueError(f"unknown body in {text!r}")
    return codes


def sample_name(body: str, year: int, phase: str, layout: str) -> str:
    """``237_2025_rendiconto_annex_amount_kinds.xlsx``: the file name says body, year and phase."""
    return f"{body}_{year}_{phase}_{layout}{EXTENSION.get(layout, '.xlsx')}"


def write_samples(output: Path, bodies: str, years: str, phases: str, layouts: str, seed: int = 0) -> list[Path]:
    chosen = list(LAYOUTS) if layouts == "all" else layouts.split(",")
    output.mkdir(parents=True, exist_ok=True)  # every writer, BDAP's included, writes into it
    paths = []
    for year in parse_years(years):
        for phase in phases.split(","):
            budgets = [generate_budget(body, year, phase, seed) for body in parse_bodies(bodies)]
            for lines in budgets:
                for layout in (l for l in chosen if l != "bdap_missions"):
                    paths.append(
                        write_layout(layout, lines, output / sample_name(lines["body"][0], year, phase, layout))
                    )
            if "bdap_missions" in chosen:
                paths.append(write_bdap(budgets, output / f"bdap_{year}_{phase}_riepilogo_missioni.csv"))
        for body in (
            parse_bodies(bodies) if layouts == "all" or "ratings" in chosen else []
        ):  # questionnaires (areavasta ratings)
            paths.append(
                write_questionnaire(
                    output / f"{body}_{year}_valutazioni.xlsx", body, year, generate_ratings(body, year, seed)
                )
            )
    return paths
