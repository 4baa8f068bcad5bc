"""Every column of the warehouse, declared once (PUDL's ``fields``): its type and the checks on its values, whichever
table holds it. ``warehouse.tables`` names the columns of each table; a table where a name means something else says
so there (``own``).

The columns of the budget lines are ``sources.model.BudgetLines``'s: the codes, amounts and provenance they check.
"""

from __future__ import annotations

import pandera.polars as pa
import polars as pl

from sources.model import BudgetLines
from transforms.authority import ATTRIBUTES
from transforms.peers import RULES as PEER_RULES
from warehouse.table import Field

QUADRANTS = ["allocation", "regulation", "direct", "indirect"]
STATUSES = ["retained", "delegated", "transferred", "non_fundamental", "not_applicable"]

TEXT = Field(pl.String())
FLAG = Field(pl.Boolean())
NUMBER = Field(pl.Float64())
CENTS = Field(pl.Int64())  # exact euro cents
COUNT = Field(pl.UInt32())
WHOLE = Field(pl.Int64())
YEAR = Field(pl.Int32())
TEXTS = Field(pl.List(pl.String()))
NUMBERS = Field(pl.List(pl.Float64()))
TIME = Field(pl.Datetime("us"))
SHARE = NUMBER.checked(pa.Check.in_range(0, 1.000001))  # a part of a whole
SHA256 = TEXT.checked(pa.Check.str_length(64, 64))
QUADRANT = TEXT.checked(pa.Check.isin(QUADRANTS))
TIER = Field(pl.Int8(), (pa.Check.isin([1, 2, 3, 4]),))
NON_NEGATIVE = NUMBER.checked(pa.Check.ge(0))
SCALE_MEAN = NUMBER.checked(pa.Check.in_range(1, 5))
RATING = Field(pl.Int8(), (pa.Check.in_range(1, 5),))


def _line_fields() -> dict[str, Field]:
    """The budget lines' columns as the canonical model declares them (codes from the code lists, 64-digit hashes)."""
    return {n: Field(c.dtype.type, tuple(c.checks)) for n, c in BudgetLines.to_schema().columns.items()}


FIELDS: dict[str, Field] = {
    **_line_fields(),  # body year phase missione programma titolo macroaggregato amount_kind amount_cents capitolo
    # description source_sha256 source_file sheet cell source_row
    # what a function spends (function_metrics, body_metrics and the tables that carry them)
    "function": TEXT,  # a programme code, or a mission code for mission-level bodies
    "coarse": FLAG,
    "total_cents": CENTS,
    **{
        f"{k}_cents": CENTS
        for k in (
            "operating transfer financial excluded unmapped rigid staff goods_services capital all_titles interest "
            "repayment rigid_t12 body_total support_allocated full direct spending_before spending own bdap "
            "difference effect_low effect_high kick_start baseline with_plan numerator denominator"
        ).split()
    },
    "lines": COUNT,
    **{
        f"{k}_share": SHARE
        for k in "operating transfer financial excluded rigid capital staff rigidity debt_service".split()
    },
    "unmapped_share": NUMBER,
    "goods_services_share": NUMBER,
    "has_macro_detail": FLAG,
    "population": Field(pl.Int64(), (pa.Check.gt(0),)),
    "per_capita_eur": NUMBER.checked(pa.Check.ge(-1e6)),
    # execution indicators (docs/INDICATORS.md)
    "detail": TEXT.checked(pa.Check.isin(["body", "mission", "function"])),
    "code": TEXT,
    "indicator": TEXT,
    "value": NON_NEGATIVE,
    "missing": TEXT,
    # authority (the catalogue, each body's overrides)
    "name": TEXT,
    "kind": TEXT,
    **{a: Field(pl.Int8(), (pa.Check.in_range(0, 3),)) for a in ATTRIBUTES},
    "authority": SHARE,
    "status": TEXT.checked(pa.Check.isin([*STATUSES, "mixed"])),  # mixed: a mission whose programmes differ
    "status_source": TEXT,
    "override_note": TEXT,
    "justification": TEXT,
    # the Ruffini matrix
    "mission_reason_it": TEXT,
    "mission_reason_en": TEXT,
    "not_classified": TEXT,
    "direct_transfer_share": NUMBER,
    "cost_basis": TEXT.checked(pa.Check.isin(["direct", "full"])),
    "distance_spending": NUMBER,
    "distance_authority": NUMBER,
    "quadrant": QUADRANT,
    "service_type_it": TEXT,
    "service_type_en": TEXT,
    "governance_it": TEXT,
    "governance_en": TEXT,
    "borderline": FLAG,
    "spending_threshold": NUMBER,
    "authority_threshold": NUMBER,
    "explanation_it": TEXT,
    "explanation_en": TEXT,
    "revenue_cents": Field(pl.Int64(), (pa.Check.ge(0),)),
    "revenue_sources": TEXT,
    "cost_recovery": NON_NEGATIVE,
    # sensitivity and movement
    "quadrant_before": QUADRANT,
    "quadrant_after": QUADRANT,
    "quadrant_now": QUADRANT,
    "axis": TEXT,
    "step": Field(pl.Int32()),  # a year of a projection (the sensitivity's is a threshold move: its own)
    "year_before": YEAR,
    "shift_spending": NUMBER,
    "shift_authority": NUMBER,
    "changed_quadrant": FLAG,
    "change": NUMBER,
    "transfer_before": SHARE,
    "coarse_before": FLAG,
    "coarse_now": FLAG,
    "detail_before": TEXT,
    "detail_now": TEXT,
    # peers
    "growth": NUMBER,
    "robust_z": NUMBER,
    "yearly_change": NUMBER,
    "outlier_peer": FLAG,
    "outlier_jump": FLAG,
    "outlier": FLAG,
    "peer_median_eur": NUMBER,
    "peers": COUNT,
    "peer_transfer_share": NUMBER,
    "peers_open_data": COUNT,
    "peer_bodies": TEXTS,
    "peer_values_eur": NUMBERS,
    "peers_lacking": TEXTS,
    "peers_lacking_why": TEXTS,
    "peer": TEXT,
    "band": NUMBER,
    "rule": TEXT.checked(pa.Check.isin(list(PEER_RULES))),
    **{f"peer_{k}": NON_NEGATIVE for k in ("min", "q1", "median", "q3", "max")},
    "peers_below": COUNT,
    "peer_values": NUMBERS,
    "reason": TEXT,
    "confirmed_by": TEXT,
    "confirmed_at": TEXT,
    "share": SHARE,
    # the portfolio
    "c_co_assessment": NUMBER,
    "commitment_capacity": NUMBER,
    "commitment_capacity_year": YEAR,
    "share_of_body": NUMBER,
    **{f"c_{k}": NUMBER for k in "size manoeuvrability transformation peer_gap trend status delivery".split()},
    "score": NUMBER.checked(pa.Check.in_range(0, 100)),
    "tier": TIER,
    "rank": Field(pl.Int32(), (pa.Check.ge(1),)),
    "flags": TEXTS,
    "reasons_it": TEXT,
    "reasons_en": TEXT,
    "tier_it": TEXT,
    "tier_en": TEXT,
    "tier_before": TIER,
    "tier_after": TIER,
    "weight": TEXT,
    "factor": NUMBER,
    # plans
    "fields": TEXTS,
    "logics": TEXTS,
    **{
        c: TEXT
        for c in (
            "field plan_kind current_planners current_deliverers target_planners target_deliverers current_position "
            "target_position logic_reasons dup_text"
        ).split()
    },
    **{
        f"{c}{lang}": TEXT
        for c in (
            "field_name coproduction_types coproduction_why actors instruments cases phases_text risks_text direction"
        ).split()
        for lang in ("", "_en")
    },
    "projected_year": YEAR,
    "kpi": TEXT,
    "label": TEXT,
    "label_en": TEXT,
    "unit": TEXT,
    "baseline": NUMBER,
    "format": TEXT,
    "data_needed": TEXT,
    "data_needed_en": TEXT,
    # scenarios
    "functions": COUNT,
    "scenario": TEXT,
    "ex_post": FLAG,
    "in_plan": FLAG,
    "parameters": TEXT,  # JSON
    # the reconciliation with BDAP
    "level": TEXT.checked(pa.Check.isin(["missione", "programma", "macroaggregato"])),
    "allowed_cents": Field(pl.Int64(), (pa.Check.ge(0),)),
    "within_tolerance": FLAG,
    "own_file": TEXT,
    "bdap_file": TEXT,
    # co-assessment
    "respondent_type": TEXT,
    "respondent": TEXT,
    **{s: RATING for s in ("quality", "accessibility", "willingness")},
    **{f"n_{s}": COUNT for s in ("quality", "accessibility", "willingness")},
    **{f"mean_{s}": SCALE_MEAN for s in ("quality", "accessibility", "willingness")},
    **{f"{b}_{s}": NUMBER for s in ("quality", "accessibility", "willingness") for b in ("low", "high")},
    **{f"enough_{s}": FLAG for s in ("quality", "accessibility", "willingness")},
    "note": TEXT,
    # files: national extracts, questionnaires, uploads
    "sha256": SHA256,
    "extract_sha256": SHA256,
    "source_line": WHOLE,
    "file": TEXT,
    "original_name": TEXT,
    "stored_as": TEXT,
    "archive_path": TEXT,
    "layout": TEXT,
    "bodies": WHOLE,
    "years": TEXT,  # comma separated
    "user": TEXT,
    "loaded_at": TEXT,  # ISO time
    "rows": WHOLE,
    "n_rows": WHOLE,
    "received_at": TIME,
    "received_by": TEXT,
    "superseded_by": TEXT,
    "content": TEXT.checked(pa.Check.isin(["budget", "revenue"])),
    "receipt_seq": WHOLE,
    # authority catalogue changes
    "attribute": TEXT,
    "author": TEXT,
    "date": TEXT,
    # runs
    "asset": TEXT,
    "run_id": TEXT,
    "manifest_id": TEXT.checked(pa.Check.str_length(16, 16)),
    "recorded_at": TEXT,
}
