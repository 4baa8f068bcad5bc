"""Partitions: year × body, both registered by uploads.

* **Years are dynamic** (``anno``): registered by the inbox sensor and ``areavasta run`` when a file for a
  new year is loaded, so a new year needs no code change.
* **Bodies are dynamic too** (``ente``), registered the same way. Reason: a deployment serves the bodies
  that actually upload (one province, a region's provinces, or all 107), and every registered partition
  is materialised and stored by Dagster: 107 static bodies would make each run of a three-body demo
  write 35 times the events (measured: 85 s instead of a few seconds for ``make run``). Validation
  already refuses a body outside the ISTAT list, so only real bodies are ever registered.

Dimension names are Italian and sort ``anno`` before ``ente``: keys read ``2025|237`` and every body of a
year is one contiguous range, which is what a single-run backfill of a year needs.
"""

import dagster as dg

YEARS = dg.DynamicPartitionsDefinition(name="anno")
BODIES = dg.DynamicPartitionsDefinition(name="ente")
YEAR_BODY = dg.MultiPartitionsDefinition({"anno": YEARS, "ente": BODIES})
BY_YEAR = dg.MultiToSingleDimensionPartitionMapping(partition_dimension_name="anno")


def split(key: str) -> tuple[str, int]:
    """``"2025|237"`` → ``("237", 2025)``."""
    year, body = key.split("|")
    return body, int(year)


def key_of(body: str, year: int) -> str:
    return f"{year}|{body}"


def year_range_tags(year: int, instance) -> dict[str, str]:
    """Run tags selecting every registered body of a year in one run (single-run backfill)."""
    codes = instance.get_dynamic_partitions(BODIES.name)
    return {
        "dagster/asset_partition_range_start": key_of(codes[0], year),
        "dagster/asset_partition_range_end": key_of(codes[-1], year),
    }
