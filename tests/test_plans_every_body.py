"""The defects a planner or secretary general found in the plans (issue 26) never come back, for any body: every body of
the reference list, every programme the strategy catalogue knows, with the status its region gave it, in each quadrant.

A delegated function is governed, never handed over or developed; no law of another region; no case or instrument
outside the plan's fields; no co-production risk without co-production; figures as a planner writes them (no "il 0 %",
no euro to the cent, "%" spaced); no list repeated within a plan."""

from __future__ import annotations

import re

import polars as pl
import pytest

from sources.plan_catalogue import plan_catalogue
from sources.plan_catalogue import plan_csv as _csv
from sources.reference import bodies
from tests.plan_frames import ranked_frame
from transforms.plan_assembly import build_plans

QUADRANTS = ["direct", "regulation", "allocation", "indirect"]
REGIONS = dict(zip(bodies()["istat_code"], bodies()["region"]))
ALLOWED_KINDS = {
    "retained": {"development", "maintain"},
    "non_fundamental": {"development", "maintain"},
    "delegated": {"delegation"},
    "transferred": {"handover"},
    "mixed": {"split", "development", "maintain", "delegation", "handover"},
}


@pytest.fixture(scope="module")
def plans() -> list[dict]:
    frames = []
    for i, body in enumerate(sorted(REGIONS)):
        rows = [p for p in plan_catalogue().programme_statuses(body) if p["status"] in ALLOWED_KINDS]
        functions = [p["programme"] for p in rows]
        frames.append(
            ranked_frame(
                functions,
                body=body,
                status=[p["status"] for p in rows],
                quadrant=QUADRANTS[i % 4],
                transfer_share=[0.1, 0.9][i % 2],
                revenue_cents=[None, 0, 60_000_000][i % 3],
                capital_share=[0.2, 0.5, 0.3][i % 3],
                staff_share=[0.5, 0.3][i % 2],
                share_of_body=[0.0, 0.004, 0.1][i % 3],
            )
        )
    return build_plans(pl.concat(frames, how="diagonal_relaxed"), plan_catalogue()).projects.to_dicts()


def _texts(plan: dict) -> str:
    return "\n".join(str(v) for v in plan.values() if isinstance(v, str))


def test_every_body_and_programme_gets_a_plan_of_its_status(plans):
    assert len({p["body"] for p in plans}) == len(REGIONS) and len(plans) > 2000
    for p in plans:
        assert p["plan_kind"] in ALLOWED_KINDS[p["status"]], (p["body"], p["function"], p["status"], p["plan_kind"])
    assert {"development", "maintain", "delegation", "handover"} <= {p["plan_kind"] for p in plans}
    logics = {x for p in plans for x in p["logics"] or []}
    assert logics == set(_csv("effects.csv")["logic"]), logics  # every effect's assumptions are written somewhere


def test_no_plan_cites_a_law_of_another_region(plans):
    for p in plans:
        for cited in re.findall(r"L\.R\. ([A-Z][\w'-]+(?: [A-Z][\w'-]+)*)", _texts(p)):
            assert REGIONS[p["body"]].startswith(cited), (p["body"], p["function"], cited)
        assert "es. L.R." not in _texts(p)


def test_no_case_or_instrument_outside_the_plans_fields(plans):
    fitting = {
        name: {r[key]: set(r["fields"].split(";")) for r in _csv(name).iter_rows(named=True)}
        for name, key in (("cases.csv", "case"), ("instruments.csv", "instrument"))
    }
    labels = {
        name: {r["label_it"]: r[key] for r in _csv(name).iter_rows(named=True)}
        for name, key in (("cases.csv", "case"), ("instruments.csv", "instrument"))
    }
    for p in plans:
        for name, column in (("cases.csv", "cases"), ("instruments.csv", "instruments")):
            for label, key in labels[name].items():
                if label in (p[column] or ""):
                    assert fitting[name][key] & set(p["fields"] or []), (p["body"], p["function"], key)


def test_co_production_words_only_where_co_production_is_proposed(plans):
    coproduction_risks = [
        r["label_it"] for r in _csv("risks.csv").filter(pl.col("when") != "always").iter_rows(named=True)
    ]
    for p in plans:
        if not p["coproduction_types"]:
            assert not any(r in p["risks_text"] for r in coproduction_risks), (p["body"], p["function"], p["plan_kind"])
            assert not p["cases"], (p["body"], p["function"])
        if p["plan_kind"] in ("handover", "maintain", "split"):
            assert not p["coproduction_types"], (p["body"], p["function"], p["plan_kind"])


def test_figures_as_a_planner_writes_them(plans):
    for p in plans:
        text = p["dup_text"]
        where = (p["body"], p["function"], p["plan_kind"])
        assert not re.search(r"\bil (0|1|8|11|8\d|8\d\d)(,\d)? %|\bil 0\b", text), where  # lo 0 %, l'8 %, l'11 %
        assert not re.search(r"\d\.\d{3},\d{2}", text), where  # no euro to the cent in prose
        assert not re.search(r"\d%", text), where  # "40 %", never "40%"
        assert "nan" not in text.split() and "None" not in text, where
        assert "()" not in _texts(p), where  # a citation or a part left empty
        assert "tra mille euro e" not in text and "Non risulta spesa a carico" not in text, where
        assert "\n\n\n" not in text and "  " not in text, where


def test_no_list_is_repeated_within_a_plan(plans):
    for p in plans:
        for column in ("instruments", "actors", "cases", "risks_text"):
            part = p[column]
            if part and len(part) > 40:
                assert p["dup_text"].count(part) <= 1, (p["body"], p["function"], column)


def test_instruments_and_actors_fit_the_plan_kind(plans):
    """A body does not co-design what it hands over or passes through; a delegation has no new holder."""
    for p in plans:
        where = (p["body"], p["function"], p["plan_kind"])
        cited = (p["instruments"] or "") + " " + (p["actors"] or "")
        if p["plan_kind"] in ("handover", "maintain", "split"):
            assert "art. 55" not in cited and "art. 56" not in cited and "patti di collaborazione" not in cited, where
        if p["plan_kind"] == "delegation":
            assert (
                "nuovo titolare" not in cited
                and "passaggio" not in cited
                and p["actors"].startswith("Regione delegante")
            ), where
        names = [a.split(" (")[0] for a in (p["actors"] or "").split("; ") if a]
        assert len(names) == len(set(names)), where
