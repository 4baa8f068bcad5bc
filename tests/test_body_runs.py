"""The runs the in-process runner asks for cover exactly the (body, year) pairs asked: Dagster reads a range over two
dimensions as a rectangle, so a range built as a stretch of keys in a row could select nothing, or too much."""

import dagster as dg
from hypothesis import given, settings
from hypothesis import strategies as st

from pipelines.partitions import BODIES, YEAR_BODY, YEARS, key_of
from pipelines.runner import _body_runs

YEAR_LIST = ["2022", "2023", "2024", "2025"]
BODY_LIST = ["001", "002", "003", "004", "005"]


def _instance() -> dg.DagsterInstance:
    instance = dg.DagsterInstance.ephemeral()
    instance.add_dynamic_partitions(YEARS.name, YEAR_LIST)
    instance.add_dynamic_partitions(BODIES.name, BODY_LIST)
    return instance


INSTANCE = _instance()


def _selected(runs: list[dict]) -> list[str]:
    keys = []
    for tags in runs:
        span = dg.PartitionKeyRange(
            tags["dagster/asset_partition_range_start"], tags["dagster/asset_partition_range_end"]
        )
        keys += YEAR_BODY.get_partition_keys_in_range(span, dynamic_partitions_store=INSTANCE)
    return keys


def test_two_bodies_apart_over_two_years_select_those_four_partitions():
    runs = _body_runs(INSTANCE, [2024, 2025], ["001", "003"])
    assert sorted(_selected(runs)) == sorted(key_of(b, y) for b in ("001", "003") for y in (2024, 2025))
    assert len(runs) == 2  # one rectangle per body, both years in it


def test_every_body_every_year_is_one_run():
    assert len(_body_runs(INSTANCE, [int(y) for y in YEAR_LIST], None)) == 1


@settings(max_examples=60, deadline=None)
@given(
    years=st.lists(st.sampled_from(YEAR_LIST), min_size=1, unique=True),
    bodies=st.lists(st.sampled_from(BODY_LIST), min_size=1, unique=True),
)
def test_the_runs_select_exactly_what_was_asked_once(years, bodies):
    selected = _selected(_body_runs(INSTANCE, [int(y) for y in years], bodies))
    assert len(selected) == len(set(selected))  # no partition computed twice
    assert set(selected) == {key_of(b, int(y)) for y in years for b in bodies}
