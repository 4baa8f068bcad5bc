"""A run's process started before its run (the launcher's "spare"): an upload's run finds polars, DuckDB and the
definitions imported and the first-use costs paid (Vega's PNG renderer, Altair's schema, the page templates, the
first pandera check, every catalogue, the code's version hash): about 2 s of an officer's wait (issue 30).

``pipelines.launcher`` keeps one spare, forked by its fork server when it hands the previous one a run. The spare
imports the definitions at once (0.7 s), then waits for that run to end, so that the rest of its warming (``warm``:
1.3 s of one core) does not slow a run, or for a run of its own (two uploads at once: it warms at once); then waits on
its pipe.
The launcher sends it ``(run_id, instance_ref)`` and it runs that run exactly as a freshly forked process would. When
the launcher is gone (the daemon stopped, its end of the pipe closed), a spare that holds no run exits. Warming never
opens the warehouse nor the instance.
"""

from __future__ import annotations

import contextlib
import importlib
import inspect
import json
import os
import sys
import time

WAIT_STEP = 0.1  # seconds between looks at the run the spare follows
PACKAGES = ("sources", "transforms", "dashboards", "pipelines", "warehouse")
DEFINITIONS = "pipelines.definitions"


def _uncalled_caches() -> list:
    """Every cached function of the product's modules that takes no argument: the catalogues and reference tables
    (files of the repository, never of the home)."""
    found = []
    for name, module in list(sys.modules.items()):
        if name.split(".")[0] not in PACKAGES or module is None:
            continue
        for value in vars(module).values():
            if not hasattr(value, "cache_info") or getattr(value, "__module__", None) != name:
                continue
            with contextlib.suppress(TypeError, ValueError):
                parameters = inspect.signature(value).parameters.values()
                if all(p.default is not p.empty or p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD) for p in parameters):
                    found.append(value)
    return found


def _charts() -> None:
    import altair as alt
    import polars as pl
    import vl_convert as vlc

    chart = alt.Chart(pl.DataFrame({"a": [1.0]})).mark_point().encode(x="a:Q")
    spec = json.dumps(chart.to_dict())
    for locale in ("it-IT", "en-US"):
        vlc.vegalite_to_png(spec, scale=1.5, format_locale=locale)


def _templates() -> None:
    from dashboards import pages

    environment = pages._templates()
    for name in environment.list_templates():
        environment.get_template(name)


def _schemas() -> None:
    """Pandera's and DuckDB's first use (each table's own checks cost the same every time: not warmed)."""
    import duckdb
    import polars as pl

    from warehouse import tables

    table = tables.get("ruffini_matrix")
    table.schema.validate(pl.DataFrame(schema={c.name: c.dtype for c in table.columns}))
    with duckdb.connect() as con:
        con.execute("SELECT 1 AS one").pl()


def warm(parts: tuple[str, ...] | None = None) -> dict[str, float | None]:
    """The definitions imported and every first use paid (``parts``: some of them only); the seconds each part took
    (None: it failed, and the run pays for it instead)."""
    taken: dict[str, float | None] = {}
    for name, part in PARTS:
        if parts is not None and name not in parts:
            continue
        start = time.perf_counter()
        try:
            part()
            taken[name] = round(time.perf_counter() - start, 3)
        except Exception:  # noqa: BLE001 - a warm-up never stops the spare
            taken[name] = None
    return taken


PARTS = (
    ("definitions", lambda: importlib.import_module(DEFINITIONS)),
    ("catalogues", lambda: [function() for function in _uncalled_caches()]),
    ("charts", _charts),
    ("templates", _templates),
    ("schemas", _schemas),
)
AT_ONCE = ("definitions",)  # the imports: done while the run it follows goes on, the rest once it has ended


def _running(pid: int | None) -> bool:
    if not pid:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def serve(pipe, execute, after: int | None = None) -> None:
    """In the spare: the definitions imported; once process ``after`` (the run it follows) has ended or a run has
    arrived, the rest warmed; then the run the launcher sends (``execute(run_id, instance_ref)``); exit quietly when the
    launcher is gone."""
    warm(AT_ONCE)
    while _running(after) and not pipe.poll(WAIT_STEP):
        pass
    warm(tuple(name for name, _ in PARTS if name not in AT_ONCE))
    try:
        run_id, instance_ref = pipe.recv()
    except (EOFError, OSError):
        return  # the launcher stopped before sending a run
    finally:
        pipe.close()
    execute(run_id, instance_ref)
