"""The tables of the method's stages (``pipelines.stages``): what each computes, declared once; part of the registry
(``warehouse.tables``), which gathers them with the tables loaded from files and the register of runs."""

from __future__ import annotations

import pandera.polars as pa

from warehouse.fields import FIELDS, NUMBER, QUADRANTS, STATUSES, TEXT
from warehouse.table import WHOLE_TABLE, YEARLY, Table, declare, names

KEY = ("body", "year", "phase", "function")

METRICS = names(
    "body year phase function missione coarse total_cents operating_cents transfer_cents financial_cents"
    " excluded_cents unmapped_cents rigid_cents staff_cents goods_services_cents capital_cents all_titles_cents lines"
    " operating_share transfer_share financial_share excluded_share rigid_share capital_share unmapped_share"
    " staff_share goods_services_share has_macro_detail population per_capita_eur"
)
FUNCTION_METRICS = declare(
    "function_metrics",
    "Spending per function by spending class: cents, shares of the total, per inhabitant.",
    METRICS,
    FIELDS,
    key=KEY,
    required="total_cents",
)
BODY_METRICS = declare(
    "body_metrics",
    "A body's whole spending: rigidity (staff, debt service), transfers, per inhabitant.",
    names(
        "body year phase total_cents staff_cents interest_cents repayment_cents rigid_t12_cents transfer_cents"
        " rigidity_share staff_share debt_service_share transfer_share population per_capita_eur"
    ),
    FIELDS,
    key=("body", "year", "phase"),
    required="total_cents",
)
EXECUTION_INDICATORS = declare(
    "execution_indicators",
    "Execution indicators of the catalogue per body, mission and function (docs/INDICATORS.md), or why missing.",
    names("body year phase detail code indicator value numerator_cents denominator_cents missing"),
    FIELDS,
    key=("body", "year", "phase", "detail", "code", "indicator"),
    required="numerator_cents denominator_cents",
    blocking=False,
)
AUTHORITY = names(
    "name kind permits controls binding_plans allocation legal_mandate direct_delivery own_funding authority status"
    " status_source override_note justification"
)
AUTHORITY_SCORES = declare(
    "authority_scores",
    "The authority catalogue with each body's overrides: attributes 0-3, a score 0-1, the programme's status.",
    names("body programma", AUTHORITY, "year"),
    FIELDS,
    key=("body", "year", "programma"),
    required="status",
    own={"status": TEXT.checked(pa.Check.isin(STATUSES))},  # a programme's own: never mixed
)
RUFFINI_MATRIX = declare(
    "ruffini_matrix",
    "Each function placed in the Ruffini matrix: quadrant, service type, governance, borderline flag, explanation.",
    names(
        METRICS,
        AUTHORITY,
        "mission_reason_it mission_reason_en body_total_cents not_classified support_allocated_cents full_cents"
        " direct_cents direct_transfer_share cost_basis distance_spending distance_authority quadrant service_type_it"
        " service_type_en governance_it governance_en borderline spending_threshold authority_threshold explanation_it"
        " explanation_en revenue_cents revenue_sources cost_recovery",
    ),
    FIELDS,
    key=KEY,
    required="total_cents direct_cents full_cents cost_basis",
)
MATRIX_SENSITIVITY = declare(
    "matrix_sensitivity",
    "Functions whose quadrant changes when a threshold moves by a step.",
    names("body year phase function quadrant_before quadrant_after axis step"),
    FIELDS,
    key=(*KEY, "axis", "step"),
    blocking=False,
    own={"step": NUMBER},  # how far the threshold moved
)
MATRIX_MOVEMENT = declare(
    "matrix_movement",
    "Each function against the previous year: quadrant before and now, shifts on both axes.",
    names(
        "body phase function year_before year quadrant_before quadrant_now shift_spending shift_authority "
        "changed_quadrant"
    ),
    FIELDS,
    key=KEY,
    blocking=False,
)
MISSION_MOVEMENT = declare(
    "mission_movement",
    "A mission-level year against another year, mission by mission: spending and transfer share before and now.",
    names(
        "body phase year_before year function spending_before_cents spending_cents change transfer_before "
        "transfer_share"
        " coarse_before coarse_now detail_before detail_now"
    ),
    FIELDS,
    key=KEY,
    blocking=False,
)
PEERS = names(
    "growth robust_z yearly_change outlier_peer outlier_jump outlier peer_median_eur peers peer_transfer_share"
    " peers_open_data peer_bodies peer_values_eur peers_lacking peers_lacking_why"
)
PEER_BENCHMARKS = declare(
    "peer_benchmarks",
    "Per year, each function against its named peers: medians, outliers, jumps, the peers lacking it and why.",
    names("body year phase function per_capita_eur", PEERS),
    FIELDS,
    key=KEY,
    partitions=YEARLY,
)
PEER_GROUPS = declare(
    "peer_groups",
    "Each body's peers and the rule that chose them.",
    names("body year phase peer band rule"),
    FIELDS,
    key=("body", "year", "phase", "peer"),
    required="rule",
    partitions=YEARLY,
    blocking=False,
)
INDICATOR_PEERS = declare(
    "indicator_peers",
    "Where each body's execution indicators stand among its peers' (minimum, quartiles, maximum).",
    names(
        "body year phase detail code indicator value peers peer_min peer_q1 peer_median peer_q3 peer_max peers_below"
        " peer_bodies peer_values"
    ),
    FIELDS,
    key=("body", "year", "phase", "detail", "code", "indicator"),
    required="peers peers_below",
    partitions=YEARLY,
    blocking=False,
    own={"peers": FIELDS["peers"].checked(pa.Check.gt(0))},
)
CONFIRMED_OUTLIERS = declare(
    "confirmed_outliers",
    "The outliers a person checked and confirmed (var/confirmed_outliers.csv), stored whole.",
    names("body function reason confirmed_by confirmed_at"),
    FIELDS,
    key=("body", "function"),
    required="reason",
    partitions=WHOLE_TABLE,
    blocking=False,
    own={"reason": TEXT.checked(pa.Check.str_length(min_value=1))},
)
NATIONAL_OVERVIEW = declare(
    "national_overview",
    "Per year, how each body's spending on service lines splits by quadrant.",
    names("body year phase quadrant coarse total_cents share"),
    FIELDS,
    key=("body", "year", "phase", "quadrant"),
    required="total_cents share",
    partitions=YEARLY,
    own={"quadrant": TEXT.checked(pa.Check.isin([*QUADRANTS, "non_classificata"]))},
)
PORTFOLIO = declare(
    "portfolio",
    "Each classified function ranked: the priority components, score, tier, rank, reasons and flags.",
    names(
        RUFFINI_MATRIX,
        PEERS,
        "c_co_assessment commitment_capacity commitment_capacity_year share_of_body c_size c_manoeuvrability"
        " c_transformation c_peer_gap c_trend c_status c_delivery score tier rank flags reasons_it reasons_en tier_it"
        " tier_en",
    ),
    FIELDS,
    key=KEY,
    required="total_cents direct_cents full_cents cost_basis",
)
PORTFOLIO_SENSITIVITY = declare(
    "portfolio_sensitivity",
    "Functions whose tier changes when a priority weight is scaled.",
    names("body year phase function tier_before tier_after weight factor"),
    FIELDS,
    key=(*KEY, "weight", "factor"),
    blocking=False,
)
PLANS = declare(
    "plans",
    "A plan per priority function (development, hand-over): field, positions, response logics, effects, texts.",
    names(
        PORTFOLIO,
        "field fields plan_kind current_planners current_deliverers target_planners target_deliverers current_position"
        " target_position logics logic_reasons effect_low_cents effect_high_cents kick_start_cents field_name"
        " coproduction_types coproduction_why actors instruments cases phases_text risks_text direction field_name_en"
        " coproduction_types_en coproduction_why_en actors_en instruments_en cases_en phases_text_en risks_text_en"
        " direction_en dup_text",
    ),
    FIELDS,
    key=KEY,
    own={"operating_cents": NUMBER, "transfer_cents": NUMBER},  # estimated from the shares
)
PLAN_PROJECTION = declare(
    "plan_projection",
    "Each planned function's spending projected three years, without and with its plan.",
    names("body year phase function step projected_year baseline_cents with_plan_cents"),
    FIELDS,
    key=(*KEY, "step"),
    required="baseline_cents with_plan_cents",
)
PLAN_KPIS = declare(
    "plan_kpis",
    "The indicators each plan is followed by, with their baselines and the data they need.",
    names("body year function kpi kind label label_en unit baseline format direction data_needed data_needed_en"),
    FIELDS,
    key=("body", "year", "function", "kpi"),
    blocking=False,
)
SCENARIO_COMPARISON = declare(
    "scenario_comparison",
    "Per year, every scenario's projected spending per body against the Base, over the same functions.",
    names("body year phase projected_year total_cents functions scenario ex_post"),
    FIELDS,
    key=("body", "year", "phase", "projected_year", "scenario"),
    required="total_cents",
    partitions=YEARLY,
    blocking=False,
)
SCENARIO_FUNCTIONS = declare(
    "scenario_functions",
    "Per year, every scenario's projection function by function (the common set).",
    names("body year phase function step projected_year baseline_cents scenario in_plan with_plan_cents"),
    FIELDS,
    key=("body", "year", "phase", "scenario", "function", "projected_year"),
    required="baseline_cents with_plan_cents in_plan",
    partitions=YEARLY,
    blocking=False,
)
SCENARIO_PARAMETERS = declare(
    "scenario_parameters",
    "Each scenario's full parameters (JSON).",
    names("scenario parameters"),
    FIELDS,
    key=("scenario",),
    required="parameters",
    partitions=WHOLE_TABLE,
    blocking=False,
)
BDAP_RECONCILIATION = declare(
    "bdap_reconciliation",
    "Each upload against the BDAP extract of the same body, year and phase, by mission, programme, macroaggregate.",
    names(
        "body year phase amount_kind level code own_cents bdap_cents difference_cents allowed_cents within_tolerance"
        " own_file bdap_file"
    ),
    FIELDS,
    key=("body", "year", "phase", "amount_kind", "level", "code"),
    required="own_cents bdap_cents difference_cents allowed_cents within_tolerance",
    blocking=False,
)
COASSESSMENT = declare(
    "coassessment",
    "Per function and respondent type: ratings, means and intervals on the three scales (docs/COASSESSMENT.md).",
    names(
        "body year function respondent_type n_quality mean_quality n_accessibility mean_accessibility n_willingness"
        " mean_willingness low_quality high_quality enough_quality low_accessibility high_accessibility"
        " enough_accessibility low_willingness high_willingness enough_willingness"
    ),
    FIELDS,
    key=("body", "year", "function", "respondent_type"),
    required="n_quality",
    blocking=False,
)

METHOD = tuple(t for t in globals().copy().values() if isinstance(t, Table))  # in the order of the stages
