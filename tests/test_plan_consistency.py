"""Consistency rules as data (issue 26, ``plans/consistency.yaml``): a pass-through transfer function gets no Third
Sector co-design flag, "Proteggere" and "Partenariato" never together. Exhaustive over every flag combination the
catalogue's rules can produce: each column a rule reads takes a value on each side of every threshold it is tested
on."""

from __future__ import annotations

import itertools

import polars as pl

from sources.catalogues import flag_rules
from sources.plan_catalogue import consistency
from transforms.plan_rules import pass_through
from transforms.ranking import consistent_flags


def _values(column: str, specs: list[dict]) -> list:
    values: set = set()
    for spec in specs:
        for op, value in spec.items():
            for v in value if isinstance(value, list) else [value]:
                if isinstance(v, bool) or isinstance(v, str):
                    values.add(v)
                else:
                    values.update({v - 0.01, v, v + 0.01} if isinstance(v, float) else {v - 1, v, v + 1})
    if all(isinstance(v, str) for v in values):
        values.add("other")
    if all(isinstance(v, bool) for v in values):
        values = {True, False}
    return sorted(values, key=str)


def _grid() -> pl.DataFrame:
    specs: dict[str, list[dict]] = {}
    for rule in flag_rules() + consistency()["pass_through"]:
        for column, spec in rule["when"].items():
            specs.setdefault(column, []).append(spec)
    columns = {c: _values(c, s) for c, s in specs.items()}
    rows = list(itertools.product(*columns.values()))
    return pl.DataFrame(rows, schema=list(columns), orient="row")


def test_every_flag_combination_the_rules_can_produce_is_consistent():
    grid = _grid()
    assert grid.height > 10_000
    flagged = consistent_flags(grid, flag_rules(), consistency())
    through = flagged.select(pass_through(consistency()["pass_through"]).alias("through"))["through"]
    flags = flagged["flags"]
    for exclusive in consistency()["never_together"]:
        both = flags.list.set_intersection(exclusive["flags"]).list.len() > 1
        assert not both.any(), exclusive
    for rule in consistency()["not_on_pass_through"]:
        assert not (through & flags.list.contains(rule["code"])).any(), rule
    assert flags.list.contains("partner").any() and flags.list.contains("protect").any()  # the rules still fire


def test_transport_and_transfers_get_no_third_sector_co_design():
    frame = pl.DataFrame(
        {
            "function": ["10.02", "18.01"],
            "quadrant": ["indirect", "allocation"],
            "tier": [1, 1],
            "transfer_share": [0.9, 1.0],
            "legal_mandate": [3, 2],
            "status": ["retained", "retained"],
            "total_cents": [1, 1],
            "outlier": [False, False],
            "direct_delivery": [0, 0],
            "goods_services_share": [0.1, 0.0],
            "permits": [0, 0],
            "operating_share": [0.1, 0.0],
        }
    )
    assert consistent_flags(frame, flag_rules(), consistency())["flags"].to_list() == [[], []]


def test_of_two_flags_that_exclude_each_other_the_first_of_the_group_is_kept_in_order():
    from transforms.portfolio import consistent

    frame = pl.DataFrame(
        {"flags": [["verify_data", "partner", "protect"], ["co_produce", "protect", "commission"], ["partner"]]}
    )
    kept = consistent(frame, pl.lit(False), consistency())["flags"].to_list()
    assert kept == [["verify_data", "protect"], ["protect", "commission"], ["partner"]]


def test_a_pass_through_function_loses_only_the_barred_flags():
    from transforms.portfolio import consistent

    frame = pl.DataFrame({"flags": [["verify_data", "partner", "co_produce"]] * 2, "through": [True, False]})
    kept = consistent(frame, pl.col("through"), consistency())["flags"].to_list()
    assert kept == [["verify_data"], ["verify_data", "partner", "co_produce"]]
