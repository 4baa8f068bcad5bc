"""Run configuration of the configurable stages: what the command line (``areavasta run --threshold…``), a scenario
or the Dagster UI may change, by asset name (``{"ops": {"ruffini_matrix": {"config": {…}}}}``)."""

import dagster as dg


class MatrixConfig(dg.Config):
    """What the command line may change in the classification (defaults: data/classification/classification.yaml)."""

    spending_threshold: float | None = None
    authority_threshold: float | None = None
    cost_basis: str | None = None  # direct | full (support programmes shared over the service lines)


class AuthorityConfig(dg.Config):
    """A YAML file of authority-catalogue changes applied on top of the recorded ones
    (``areavasta classify --overrides``)."""

    overrides_file: str | None = None
    overrides_user: str = ""


class PortfolioConfig(dg.Config):
    """Weights of the priority components that differ from data/portfolio/priorities.yaml (a scenario's)."""

    weights: dict[str, float] = {}


class PeerConfig(dg.Config):
    """The peer group a planner chooses (default: data/portfolio/priorities.yaml › peers): ``population``, ``type``,
    ``region``, or ``list`` with ``peers`` (ISTAT codes; a list alone means ``list``)."""

    peer_group: str | None = None
    peers: list[str] = []


class PlanConfig(dg.Config):
    """Plan parameters a scenario changes (defaults: data/plans)."""

    plan_tiers: list[int] | None = None
    adoption: list[float] | None = None
    effect_scale: float = 1.0
    effect_scale_by_logic: dict[str, float] = {}


class OutputConfig(dg.Config):
    """Language, phase, folder and chart export of the written outputs (workbooks, pages)."""

    lang: str = "it"
    phase: str | None = None
    folder: str | None = None
    export: bool = False


class FileConfig(dg.Config):
    """A file to load (a national extract, a questionnaire) and who loads it (for the archive)."""

    file: str
    user: str = ""
    display_name: str | None = None


class InboxConfig(dg.Config):
    """The files of the inbox folder a tick of the sensor noticed, oldest first: ``name|size|mtime_ns`` each."""

    files: list[str] = []
