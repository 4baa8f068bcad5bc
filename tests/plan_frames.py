"""A ranked frame of functions, as the portfolio hands it to the plans, for plan tests: one row per function, every
column the plans read, the same amounts everywhere unless a test gives its own (``extra``: a value or one per row)."""

from __future__ import annotations

import polars as pl

from sources.catalogues import governance_names, quadrant_names


def ranked_frame(
    functions: list[str], body: str = "237", quadrant: str = "direct", status: str | list[str] = "retained", **extra
) -> pl.DataFrame:
    n = len(functions)
    service_type, governance = quadrant_names("it")[quadrant], governance_names("it")[quadrant]
    status = status if isinstance(status, list) else [status] * n
    columns = {
        "body": [body] * n,
        "year": [2025] * n,
        "phase": ["rendiconto"] * n,
        "function": functions,
        "name": functions,
        "tier": [1] * n,
        "quadrant": [quadrant] * n,
        "status": status,
        "own_funding": [0] * n,
        "status_source": ["fonte dello stato"] * n,
        "total_cents": [100_000_000] * n,
        "operating_share": [0.9] * n,
        "transfer_share": [0.1] * n,
        "rigid_share": [0.3] * n,
        "capital_share": [0.2] * n,
        "goods_services_share": [0.4] * n,
        "staff_share": [0.3] * n,
        "per_capita_eur": [5.0] * n,
        "share_of_body": [0.1] * n,
        "authority": [0.3] * n,
        "growth": [0.0] * n,
        "service_type_it": [service_type] * n,
        "governance_it": [governance] * n,
        "capital_cents": [20_000_000] * n,
        "staff_cents": [30_000_000] * n,
        "goods_services_cents": [40_000_000] * n,
        "full_cents": [150_000_000] * n,
    }
    columns.update({k: v if isinstance(v, list) else [v] * n for k, v in extra.items()})
    return pl.DataFrame(columns, schema_overrides={"year": pl.Int32, "tier": pl.Int8})
