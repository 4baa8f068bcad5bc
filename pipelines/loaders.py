"""The loads a person starts with a file, as assets: ``national_lines`` (a BDAP extract, ``areavasta national``) and
``ratings`` (co-assessment questionnaires, ``areavasta ratings``). Unpartitioned: a file covers the bodies and years
it holds. The stages reading their tables depend on them (``pipelines.graph.LOADERS``).

Each run loads one file (run configuration: its path and who loads it) through its loader, all or nothing
(``warehouse.national_extracts``, ``warehouse.rating_files``); a rejected file fails the run with its findings. The
outcome is the asset's output, handed back to the command that materialised it in process (``materialise``) and stored
nowhere.
"""

import json
from pathlib import Path

import dagster as dg

from pipelines.configs import FileConfig
from pipelines.resources import Warehouse
from sources.findings import Finding, findings_json
from warehouse import national_extracts, rating_files

OUTCOME_IO = "load_outcome"


class OutcomeIO(dg.IOManager):
    """A load's outcome goes back to the command that asked for it (in process, ``materialise``); nothing is stored."""

    def handle_output(self, context: dg.OutputContext, obj) -> None:
        return None

    def load_input(self, context: dg.InputContext):
        raise NotImplementedError("a load's outcome is not an input of another asset: its tables are")


def _findings(found: list[Finding]) -> dg.MetadataValue:
    return dg.MetadataValue.json(json.loads(findings_json(found)))


def _done(name: str, outcome, summary: dict) -> dg.Output:
    """The outcome as the output; a rejected file fails the run, with its findings."""
    metadata = {**summary, "findings": _findings(outcome.findings)}
    if not outcome.ok:
        errors = sum(f.is_error for f in outcome.findings)
        raise dg.Failure(description=f"{name}: file respinto ({errors} errori)", metadata=metadata)
    return dg.Output(outcome, metadata=metadata)


@dg.asset(
    name="national_lines",
    group_name="metodo",
    kinds={"csv", "duckdb"},
    pool="warehouse",
    io_manager_key=OUTCOME_IO,
    metadata={"writes": "national_lines, national_extracts"},
    description="A national open-data extract (BDAP, programme level): provinces and metropolitan cities, replacing "
    "the bodies, years and phase it holds (core.national_lines, core.national_extracts; areavasta national).",
)
def national_lines(context: dg.AssetExecutionContext, config: FileConfig, warehouse_db: Warehouse):
    outcome = national_extracts.load_national(Path(config.file), warehouse_db.settings(), config.user)
    summary = {
        "file": outcome.file,
        "lines": outcome.lines,
        "bodies": outcome.bodies,
        "years": dg.MetadataValue.json(outcome.years),
        "phase": outcome.phase or "",
        "sha256": outcome.sha256 or "",
        "seconds": round(outcome.seconds.get("total", 0.0), 1),
    }
    return _done(outcome.file, outcome, summary)


@dg.asset(
    name="ratings",
    group_name="metodo",
    kinds={"xlsx", "duckdb"},
    pool="warehouse",
    io_manager_key=OUTCOME_IO,
    metadata={"writes": "ratings, rating_files"},
    description="Co-assessment questionnaires filled in by users and Third Sector bodies, replacing the bodies and "
    "years each holds (core.ratings, core.rating_files; areavasta ratings).",
)
def ratings_asset(context: dg.AssetExecutionContext, config: FileConfig, warehouse_db: Warehouse):
    outcome = rating_files.load_ratings(Path(config.file), warehouse_db.settings(), config.user, config.display_name)
    bodies = sorted(set(outcome.ratings["body"])) if outcome.ratings.height else []
    summary = {"file": outcome.file, "ratings": outcome.ratings.height, "bodies": dg.MetadataValue.json(bodies)}
    return _done(outcome.file, outcome, summary)


LOADER_ASSETS = [national_lines, ratings_asset]


def materialise(asset: dg.AssetsDefinition, config: dict, settings) -> dg.ExecuteInProcessResult:
    """One load materialised in process on the embedded instance, as ``run_pipeline`` does the stages; what made the run
    fail is raised as it was (``dg.Failure``: a rejected file)."""
    from pipelines.instance import embedded_instance, owner_tags

    name = asset.key.to_user_string()
    return dg.materialize(
        [asset],
        instance=embedded_instance(settings.home),
        resources={"warehouse_db": Warehouse(home=str(settings.home)), OUTCOME_IO: OutcomeIO()},
        run_config={"loggers": {"console": {"config": {"log_level": "CRITICAL"}}}, "ops": {name: {"config": config}}},
        tags=owner_tags(),
    )


def _rejected(failure: dg.Failure) -> tuple[list[Finding], dict]:
    """The findings and metadata a rejected load failed with."""
    metadata = {k: getattr(v, "value", v) for k, v in (failure.metadata or {}).items()}
    fields = ("code", "file", "sheet", "cell", "row", "params")
    return [Finding(**{k: f[k] for k in fields if k in f}) for f in metadata.get("findings", [])], metadata


def materialise_national(path: Path, settings, user: str = "") -> national_extracts.NationalOutcome:
    """``areavasta national``: the ``national_lines`` asset materialised in process for one file, its outcome back."""
    try:
        return materialise(national_lines, {"file": str(path), "user": user}, settings).output_for_node(
            "national_lines"
        )
    except dg.Failure as failure:  # rejected: anything else (a busy warehouse) is raised as it was
        found, metadata = _rejected(failure)
    return national_extracts.NationalOutcome(
        path.name,
        "rejected",
        found,
        sha256=metadata.get("sha256") or None,
        phase=metadata.get("phase") or None,
    )


def materialise_ratings(path: Path, settings, user: str = "", display_name: str | None = None):
    """``areavasta ratings``: the ``ratings`` asset materialised in process for one file, its outcome back."""
    from sources.ratings import RatingsFile

    config = {"file": str(path), "user": user, "display_name": display_name}
    try:
        return materialise(ratings_asset, config, settings).output_for_node("ratings")
    except dg.Failure as failure:  # rejected: anything else (a busy warehouse) is raised as it was
        found, _ = _rejected(failure)
    return RatingsFile(display_name or path.name, findings=found)
