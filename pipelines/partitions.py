"""Partitions: the year; the bodies are data inside it.

* **Every asset is partitioned by year** (``anno``, dynamic): registered by the inbox sensor and ``areavasta run``
  when a file for a new year is loaded, so a new year needs no code change.
* **Bodies are not a partition dimension.** A body stage computes, inside its year, the bodies its run names in the
  tag ``areavasta/enti`` (an upload: its own body), or without the tag every body with data that year (the annual
  rerun, ``areavasta run``, a national backfill). Why: Dagster records two events per partition and asset; with
  year × body partitions a national backfill (107 bodies × 10 years) wrote 12,840 events in its first stage alone,
  4.8 ms each on SQLite: 110 s of bookkeeping for 16 s of work (docs/BENCHMARKS.md, issue 30). Per year, the same
  backfill writes a few hundred.
* What Dagster showed per (year, body) partition is kept per body in the warehouse (``core.body_runs``: each body
  stage's last run for each body and year, its state and error) and shown on every materialisation of the year as
  metadata (``pipelines.body_status``): when each body was last computed and from which upload.

Key strings ``2025|237`` (year|body) remain the manifests' and the receipts' way of naming a body's year.
"""

import dagster as dg

YEARS = dg.DynamicPartitionsDefinition(name="anno")
BODIES_TAG = "areavasta/enti"  # the bodies a run computes, comma-separated; absent: every body with data


def split(key: str) -> tuple[str, int]:
    """``"2025|237"`` → ``("237", 2025)``."""
    year, body = key.split("|")
    return body, int(year)


def key_of(body: str, year: int) -> str:
    return f"{year}|{body}"


def body_tags(bodies) -> dict[str, str]:
    """The run tag naming ``bodies`` (none: no tag, every body with data)."""
    return {BODIES_TAG: ",".join(sorted(set(bodies)))} if bodies else {}


def tagged_bodies(tags) -> list[str] | None:
    """The bodies a run's tags name, or None (every body with data)."""
    value = (tags or {}).get(BODIES_TAG, "").strip()
    return sorted({b.strip() for b in value.split(",") if b.strip()}) or None


def year_range_tags(first: int, last: int) -> dict[str, str]:
    """Run tags selecting the years ``first``..``last`` (registered neighbours) in one run: a single-run backfill."""
    return {"dagster/asset_partition_range_start": str(first), "dagster/asset_partition_range_end": str(last)}
