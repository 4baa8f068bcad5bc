"""The runs the in-process runner asks for cover exactly the years asked, each once, and name exactly the bodies asked:
every asset is partitioned by year, the bodies travel in the run's tag ``areavasta/enti`` (``pipelines.partitions``)."""

import dagster as dg
from hypothesis import given, settings
from hypothesis import strategies as st

from pipelines.partitions import BODIES_TAG, YEARS, body_tags, tagged_bodies
from pipelines.runner import year_runs

YEAR_LIST = ["2022", "2023", "2024", "2025"]
BODY_LIST = ["001", "002", "003", "004", "005"]


def _instance() -> dg.DagsterInstance:
    instance = dg.DagsterInstance.ephemeral()
    instance.add_dynamic_partitions(YEARS.name, YEAR_LIST)
    return instance


INSTANCE = _instance()


def _selected(runs: list[tuple[str, str]]) -> list[str]:
    keys = []
    for first, last in runs:
        with dg.partition_loading_context(dynamic_partitions_store=INSTANCE):
            keys += YEARS.get_partition_keys_in_range(dg.PartitionKeyRange(first, last))
    return keys


def test_neighbouring_years_are_one_run_and_a_gap_makes_two():
    assert len(year_runs(INSTANCE, [2022, 2023, 2024, 2025])) == 1
    runs = year_runs(INSTANCE, [2022, 2024, 2025])
    assert len(runs) == 2 and sorted(_selected(runs)) == ["2022", "2024", "2025"]


def test_a_year_nobody_registered_is_no_run():
    assert year_runs(INSTANCE, [2019]) == []


@settings(max_examples=60, deadline=None)
@given(years=st.lists(st.sampled_from(YEAR_LIST), min_size=1, unique=True))
def test_the_runs_select_exactly_the_years_asked_once(years):
    selected = _selected(year_runs(INSTANCE, [int(y) for y in years]))
    assert len(selected) == len(set(selected))  # no year computed twice
    assert set(selected) == set(years)


@settings(max_examples=60, deadline=None)
@given(bodies=st.lists(st.sampled_from(BODY_LIST), unique=True))
def test_the_tag_names_exactly_the_bodies_asked(bodies):
    tags = body_tags(bodies)
    assert tagged_bodies(tags) == (sorted(bodies) or None)  # no bodies: no tag, every body with data
    assert (BODIES_TAG in tags) == bool(bodies)


def test_a_tag_with_spaces_or_empty_items_still_names_the_bodies():
    assert tagged_bodies({BODIES_TAG: " 037, ,058 "}) == ["037", "058"]
    assert tagged_bodies({BODIES_TAG: " , "}) is None
