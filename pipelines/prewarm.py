"""What the run launcher's fork server imports once (``pipelines.launcher``), so that a run need not.

Only libraries that start no thread when imported: a process forked from one running threads can deadlock in them
(polars' documentation warns of exactly this, and an upload's run hung in ``budget_lines`` when the fork server had
imported the definitions: polars starts its thread pools at import, DuckDB a thread too). So polars, DuckDB and
pandera, and the definitions that use them, are imported by each run: 0.7 s, against 2.6 s for these.
``tests/test_launcher.py`` checks, in a fresh interpreter, that importing them starts no thread and pulls none of
those in.
"""

import importlib

THREAD_FREE = (
    "dagster",
    "dagster_postgres",
    "sqlalchemy",
    "altair",
    "vl_convert",
    "openpyxl",
    "xlsxwriter",
    "docx",
    "babel.numbers",
    "jinja2",
    "yaml",
)
THREADED = ("polars", "duckdb", "pandera", "pyarrow")  # never imported here

for name in THREAD_FREE:
    importlib.import_module(name)
