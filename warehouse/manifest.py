"""Run manifests: what an output was computed from, so that it can be told apart, explained and computed again.

A manifest names, for the partitions of a run: the **inputs** (every current upload of those years with
its SHA-256, and the national extracts that cover them: peers and the BDAP comparison depend on other
bodies' data too), the **catalogues and rule files** (content hash of every file under ``data/``), the
**parameters** each configurable asset ran with (``core.stage_parameters``), and the **code** (a hash of
the product's own source files, the package and library versions). Its id is a hash of that content: the
same inputs, rules, parameters and code give the same id, whichever run or command computes it.

Every asset records its run against its manifest (``core.run_manifests``, ``var/manifests/<id>.json``);
workbooks, pages and CSVs name the id; ``areavasta manifest`` prints one and ``areavasta rerun`` computes
its outputs again and compares them byte for byte.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import dataclass
from functools import cache
from importlib import metadata
from pathlib import Path

import polars as pl

from sources.reference import DATA_DIR
from warehouse import store, tables

ROOT = Path(__file__).resolve().parents[1]
CODE_FOLDERS = ("sources", "transforms", "warehouse", "pipelines", "dashboards")
LIBRARIES = (
    "dagster",
    "duckdb",
    "polars",
    "pandera",
    "altair",
    "vl-convert-python",
    "xlsxwriter",
    "openpyxl",
    "fastexcel",
)


@dataclass
class Manifest:
    id: str
    content: dict  # partitions, inputs, catalogues, parameters, code

    @property
    def as_of(self) -> dt.datetime:
        """The latest receipt among the inputs: the date the outputs carry (never the clock, so reruns are
        identical)."""
        times = [u["received_at"] for u in self.content["inputs"]["uploads"]] + [
            n["loaded_at"] for n in self.content["inputs"]["national"]
        ]
        return dt.datetime.fromisoformat(max(times)) if times else dt.datetime(2000, 1, 1)


@cache
def code_version() -> dict:
    """The product's own source (a hash of every file, so an unreleased change shows), the package and the libraries."""
    digest = hashlib.sha256()
    for folder in CODE_FOLDERS:
        for path in sorted((ROOT / folder).rglob("*")):
            if path.is_file() and path.suffix in {".py", ".html", ".css", ".js"} and "__pycache__" not in path.parts:
                digest.update(str(path.relative_to(ROOT)).encode() + b"\0" + path.read_bytes())
    versions = {}
    for name in ("areavasta", *LIBRARIES):
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = None
    return {"source_sha256": digest.hexdigest(), "versions": versions}


def catalogue_hashes() -> dict[str, str]:
    """SHA-256 of every catalogue, code list, rule and word file the product reads (``areavasta/data``)."""
    return {
        str(p.relative_to(DATA_DIR)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(DATA_DIR.rglob("*"))
        if p.is_file() and p.suffix in {".csv", ".yaml", ".txt"}
    }


def build(con, keys: pl.DataFrame) -> Manifest:
    """The manifest of ``keys`` (body, year — or year only, for the assets across bodies) as the warehouse stands."""
    years = sorted(int(y) for y in keys["year"].unique())
    partitions = (
        sorted(f"{y}|{b}" for b, y in keys.select("body", "year").unique().rows())
        if "body" in keys.columns
        else [str(y) for y in years]
    )
    content = {
        "partitions": partitions,
        "inputs": _inputs(con, years),
        "catalogues": catalogue_hashes(),
        "parameters": _parameters(con, keys),
        "code": code_version(),
    }
    digest = hashlib.sha256(json.dumps(content, sort_keys=True, default=str).encode()).hexdigest()[:16]
    return Manifest(digest, content)


def _inputs(con, years: list[int]) -> dict:
    in_years = ", ".join(str(y) for y in years) or "NULL"
    uploads = con.execute(
        "SELECT DISTINCT sha256, original_name, layout, content, body, year, phase, strftime(received_at, "
        "'%Y-%m-%dT%H:%M:%S.%f') AS received_at "
        f"FROM core.uploads WHERE status = 'current' AND year IN ({in_years}) ORDER BY body, year, phase, content, "
        "sha256"
    ).pl()
    national = store.read_table(con, tables.NATIONAL_EXTRACTS)
    if national.height:
        national = national.filter(
            pl.col("years").str.split(",").list.eval(pl.element().cast(pl.Int32).is_in(years)).list.any()
        )
        national = national.select("sha256", "file", "phase", "years", "loaded_at").sort("sha256")
    return {"uploads": uploads.to_dicts(), "national": national.to_dicts() if national.height else []}


def _parameters(con, keys: pl.DataFrame) -> list[dict]:
    """The run configuration each configurable asset last ran with for these partitions (defaults: empty)."""
    recorded = store.read_table(con, tables.STAGE_PARAMETERS)
    if recorded.is_empty():
        return []
    if "body" in keys.columns:
        recorded = recorded.join(keys.select("body", "year").unique(), on=["body", "year"], how="semi")
    else:
        recorded = recorded.filter(pl.col("year").is_in(keys["year"].to_list()))
    return recorded.sort("asset", "body", "year").to_dicts()


def parameters_frame(asset: str, keys: pl.DataFrame, config: dict) -> pl.DataFrame:
    """One row per partition of ``keys``: the asset's run configuration (only what differs from the data files)."""
    kept = {}
    for key, value in sorted(config.items()):
        if value in (None, {}, [], ""):
            continue
        if key.endswith("_file") and Path(value).is_file():  # a file's content, not where it lies on this machine
            key, value = f"{key}_sha256", hashlib.sha256(Path(value).read_bytes()).hexdigest()
        kept[key] = value
    text = json.dumps(kept, sort_keys=True)
    bodies = (
        keys.with_columns(pl.col("year").cast(pl.Int32))
        if "body" in keys.columns
        else keys.with_columns(body=pl.lit("*"))
    )
    return (
        bodies.select("body", "year")
        .unique()
        .with_columns(asset=pl.lit(asset), parameters=pl.lit(text))
        .select("asset", "body", "year", "parameters")
    )


def folder(settings) -> Path:
    return settings.home / "manifests"


def record(con, settings, manifest: Manifest, run_id: str, asset: str, outputs: dict[str, Path] | None = None) -> Path:
    """Write ``<id>.json`` (content, the runs that recorded it, the outputs with their SHA-256) and the run's row."""
    target = folder(settings) / f"{manifest.id}.json"
    target.parent.mkdir(parents=True, exist_ok=True)
    stored = (
        json.loads(target.read_text(encoding="utf-8"))
        if target.exists()
        else {"id": manifest.id, **manifest.content, "runs": [], "outputs": {}}
    )
    now = dt.datetime.now(dt.UTC).replace(tzinfo=None).isoformat(timespec="seconds")
    if not any(r["run_id"] == run_id and r["asset"] == asset for r in stored["runs"]):
        stored["runs"].append({"run_id": run_id, "asset": asset, "at": now})
    for path in (outputs or {}).values():
        relative = _relative(Path(path), settings)
        if relative is not None:  # outputs written elsewhere (a rerun's folder) are compared, not recorded
            stored["outputs"][relative] = hashlib.sha256(Path(path).read_bytes()).hexdigest()
    target.write_text(json.dumps(stored, indent=1, ensure_ascii=False, sort_keys=True, default=str), encoding="utf-8")
    row = pl.DataFrame({"run_id": [run_id], "asset": [asset], "manifest_id": [manifest.id], "recorded_at": [now]})
    store.replace_partitions(con, tables.RUN_MANIFESTS, row, row.select("run_id", "asset"))
    return target


def recorded_runs(settings) -> pl.DataFrame:
    """``core.run_manifests`` again from the manifest files: every run each one records (``areavasta rebuild``); a run's
    asset recorded against two manifests keeps the later one, as the table did."""
    rows = []
    for path in sorted(folder(settings).glob("*.json")):
        try:
            stored = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        rows += [(r["run_id"], r["asset"], stored["id"], r["at"]) for r in stored.get("runs", [])]
    frame = pl.DataFrame(
        rows,
        schema={"run_id": pl.String, "asset": pl.String, "manifest_id": pl.String, "recorded_at": pl.String},
        orient="row",
    )
    return frame.sort("recorded_at", "manifest_id").unique(["run_id", "asset"], keep="last", maintain_order=True)


def _relative(path: Path, settings) -> str | None:
    try:
        return str(path.resolve().relative_to(settings.outputs_dir.resolve()))
    except ValueError:
        return None


def find(settings, con, ref: str) -> dict | None:
    """A manifest by its id, a Dagster run id (or the start of either), or ``latest``."""
    runs = store.read_table(con, tables.RUN_MANIFESTS)
    if ref in ("latest", "ultimo"):
        if runs.is_empty():
            return None
        ref = runs.sort("recorded_at").row(-1, named=True)["manifest_id"]
    candidates = sorted(folder(settings).glob(f"{ref}*.json"))
    if not candidates and runs.height:  # a run id: its workbooks' manifest, else the last its assets recorded
        hits = runs.filter(pl.col("run_id").str.starts_with(ref))
        if hits["run_id"].n_unique() == 1:
            chosen = hits.sort(pl.col("asset") == "report_workbooks", "recorded_at").row(-1, named=True)["manifest_id"]
            candidates = [folder(settings) / f"{chosen}.json"]
    if len(candidates) != 1:
        return None
    return json.loads(candidates[0].read_text(encoding="utf-8"))


def save_state(settings, found: Manifest, frame: pl.DataFrame) -> Path:
    """The functions' positions, ranks and plans the outputs show (``pipelines.changes.states``), for ``areavasta diff
    --run``."""
    target = folder(settings) / f"{found.id}.state.parquet"
    target.parent.mkdir(parents=True, exist_ok=True)
    frame.write_parquet(target)
    return target


def load_state(settings, manifest_id: str) -> pl.DataFrame | None:
    path = folder(settings) / f"{manifest_id}.state.parquet"
    return pl.read_parquet(path) if path.exists() else None


def differences(a: dict, b: dict) -> dict[str, list]:
    """What differs between two manifests: inputs (files), catalogue and rule files, parameters, code."""

    def files(m: dict) -> dict:
        return {u["sha256"]: u for u in m["inputs"]["uploads"]} | {
            n["sha256"]: {**n, "original_name": n["file"]} for n in m["inputs"]["national"]
        }

    fa, fb = files(a), files(b)
    params_a = {(p["asset"], p["body"], p["year"]): p["parameters"] for p in a["parameters"]}
    params_b = {(p["asset"], p["body"], p["year"]): p["parameters"] for p in b["parameters"]}
    changed_parameters = sorted(
        {
            (k[0], params_a.get(k, "{}"), params_b.get(k, "{}"))
            for k in set(params_a) | set(params_b)
            if params_a.get(k, "{}") != params_b.get(k, "{}")
        }
    )
    return {
        "inputs_added": sorted(fb[s]["original_name"] for s in set(fb) - set(fa)),
        "inputs_removed": sorted(fa[s]["original_name"] for s in set(fa) - set(fb)),
        "catalogues": sorted(
            k for k in set(a["catalogues"]) | set(b["catalogues"]) if a["catalogues"].get(k) != b["catalogues"].get(k)
        ),
        "parameters": changed_parameters,
        "code": []
        if a["code"]["source_sha256"] == b["code"]["source_sha256"]
        else [(a["code"]["versions"].get("areavasta"), b["code"]["versions"].get("areavasta"))],
    }
