"""Thin Dagster wiring: assets, checks, sensors, schedules and resources that call sources/ and transforms/."""
