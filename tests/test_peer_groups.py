"""The planner chooses the peer group (issue 24, part 4): same type and population band, same type, same region, or a
list."""

from __future__ import annotations

import polars as pl
import pytest

from pipelines.stage_peers import peer_config
from sources.portfolio_catalogue import body_table, portfolio_config
from transforms.peers import RULES, peer_groups

# Piemonte: Torino (metropolitan city), Vercelli, Novara, Cuneo; Emilia-Romagna: Bologna (metropolitan city), Modena,
# Parma
LOADED = ["201", "002", "003", "004", "237", "036", "034"]


def _groups(rule: str, **extra) -> dict[str, set[str]]:
    present = pl.DataFrame(
        {"body": LOADED, "year": [2025] * len(LOADED), "phase": ["rendiconto"] * len(LOADED)},
        schema_overrides={"year": pl.Int32},
    )
    config = {**portfolio_config()["peers"], "group": rule, **extra}
    found = peer_groups(body_table(), present, config)
    assert set(found["rule"]) <= {rule}
    return {b: set(found.filter(pl.col("body") == b)["peer"]) for b in LOADED}


def test_same_type_takes_every_loaded_body_of_the_type():
    groups = _groups("type")
    assert groups["036"] == {"002", "003", "004", "034"} and groups["201"] == {"237"}


def test_same_region_takes_the_region_whatever_the_type():
    groups = _groups("region")
    assert groups["002"] == {"201", "003", "004"} and groups["036"] == {"237", "034"}


def test_a_list_is_the_bodies_named_and_never_the_body_itself():
    groups = _groups("list", list=["036", "034", "201"])
    assert groups["002"] == {"036", "034", "201"} and groups["036"] == {"034", "201"}


def test_population_band_is_the_default_and_keeps_the_type():
    assert portfolio_config()["peers"]["group"] == "population"
    groups = _groups("population")
    assert "237" not in groups["036"] and groups["201"] <= {"237"}
    present = pl.DataFrame(
        {"body": LOADED, "year": [2025] * 7, "phase": ["rendiconto"] * 7}, schema_overrides={"year": pl.Int32}
    )
    found = peer_groups(body_table(), present, portfolio_config()["peers"])
    assert found["band"].is_not_null().all() and set(found["rule"]) == {"population"}


def test_the_run_configuration_chooses_the_group():
    assert peer_config()["peers"]["group"] == "population"
    assert peer_config("region")["peers"]["group"] == "region"
    chosen = peer_config(None, ["002", "003"])["peers"]
    assert chosen["group"] == "list" and chosen["list"] == ["002", "003"]
    with pytest.raises(ValueError):
        peer_config("list")
    with pytest.raises(ValueError):
        _groups("nearby")
    assert RULES == ("population", "type", "region", "list")


def test_every_reason_a_peer_lacks_a_function_is_said_in_words_in_both_languages():
    from dashboards.words import peers_lacking
    from transforms.classify import MISSION_TOTAL, REASONS

    codes = ["outlier", "mission_only", "no_spending", MISSION_TOTAL, *REASONS]
    for lang in ("it", "en"):
        for code in codes:
            text = peers_lacking({"peers_lacking": ["002"], "peers_lacking_why": [code]}, lang)
            assert text.startswith("Provincia di Vercelli (") and text != f"Provincia di Vercelli ({code})", (
                lang,
                code,
            )  # words, not the key
