"""Thin Dagster wiring: assets, checks, sensors, schedules and resources that call sources/ and transforms/."""

import warnings

import dagster as dg

warnings.filterwarnings("ignore", category=dg.BetaWarning)  # backfill_policy is beta in 1.13 and used on purpose
