"""Thin Dagster wiring: assets, checks, sensors, schedules and resources that call sources/ and transforms/.

Dagster's process-wide settings are in ``dagster_setup`` (imported by the modules that use Dagster), not here: importing
the package must stay cheap for the command line."""
