"""The embedded default Dagster instance: SQLite under ``var/dagster`` with the shipped ``dagster.yaml``."""

import os
import shutil
import socket
from pathlib import Path

import dagster as dg

from pipelines import dagster_setup  # noqa: F401 (Dagster's process-wide settings, before any Dagster object)
from pipelines.deployment_instance import pooled

PID_TAG, HOST_TAG = "areavasta/pid", "areavasta/host"
SHIPPED_CONFIG = Path(__file__).resolve().parents[1] / "dagster_home" / "dagster.yaml"


def embedded_instance(home: Path) -> dg.DagsterInstance:
    """``DAGSTER_HOME`` if set, else ``<home>/dagster``; the shipped configuration is copied there when missing."""
    dagster_home = Path(os.environ.get("DAGSTER_HOME") or home / "dagster").resolve()
    dagster_home.mkdir(parents=True, exist_ok=True)
    if not (dagster_home / "dagster.yaml").exists():
        shutil.copy(SHIPPED_CONFIG, dagster_home / "dagster.yaml")
    os.environ["DAGSTER_HOME"] = str(dagster_home)
    return pooled(dg.DagsterInstance.get())


def owner_tags() -> dict[str, str]:
    """Tags of a run started in this process, so that a later command can tell the run died with it."""
    return {PID_TAG: str(os.getpid()), HOST_TAG: socket.gethostname()}
