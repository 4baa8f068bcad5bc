"""Benchmark: a national BDAP programme-level extract (≥ 5 GB) loaded against the bare scan of the same file.

    .venv/bin/python bench/national.py [--gigabytes 5.2] [--repeat 2] [--all-kinds]

``--all-kinds``: an extract with the 13 amount columns of BDAP's final accounts (issue 27;
``bench/.corpus/bdap_national_all_kinds.csv``) instead of three.

Measured side by side, each in a fresh child process (its peak RSS is the child's):

* floor (polars): ``scan_csv`` of the file reading the body-type column of every row (every line parsed);
* floor (DuckDB): ``SELECT count(*) FROM read_csv(…, all_varchar)``;
* load: ``warehouse.national_extracts.load_national`` into a fresh warehouse — stream-select the provinces and
  metropolitan cities, validate, archive (Zstandard-compressed copy + SHA-256) and load ``core.national_lines``.

Targets (issue 15): the 107 bodies loaded in ≤ 90 s, peak RSS ≤ 1.5 GB, ≥ 0.6 × the floor's throughput.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
EXTRACT = Path(__file__).parent / ".corpus" / "bdap_national.csv"

CHILD = {
    "floor_polars": """
import time; from pathlib import Path
import polars as pl
from sources.national import header_of, stream_profile
from transforms.codes import fold_text
p = Path({path!r}); profile = stream_profile(p); header = header_of(p, profile)
body_type = next(h for h in header if fold_text(h) in profile.spec["columns"]["body_type"])
t = time.perf_counter()  # every line parsed, the body type looked at: what any reader of the file pays at least
pl.scan_csv(p, separator=";", quote_char='"', infer_schema=False, encoding="utf8-lossy").select(
    pl.col(body_type).str.len_bytes().sum()).collect(engine="streaming")
print(time.perf_counter() - t)
""",
    "floor_duckdb": """
import time, duckdb
con = duckdb.connect(); con.execute("SET threads = 2"); t = time.perf_counter()
con.execute("SELECT count(*) FROM read_csv({path!r}, delim=';', quote='\\"', header=true, all_varchar=true, "
            "encoding='latin-1')").fetchone()
print(time.perf_counter() - t)
""",
    "load": """
import json, os, time; from pathlib import Path
os.environ["AREAVASTA_HOME"] = {home!r}
from sources.settings import load_settings; from warehouse.national_extracts import load_national
t = time.perf_counter(); o = load_national(Path({path!r}), load_settings())
print(json.dumps({{"total": time.perf_counter() - t, "ok": o.ok, "lines": o.lines, "bodies": o.bodies,
                  "seconds": o.seconds}}))
""",
}


def child(kind: str, **values) -> tuple[str, float]:
    """Run one measurement in a fresh interpreter; its output and its peak RSS in MB."""
    code = "import resource, sys; sys.path.insert(0, %r)\n" % str(ROOT) + CHILD[kind].format(**values)
    code += "\nprint(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)"
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT
    ).stdout.split("\n")
    return out[-3], float(out[-2])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--gigabytes", type=float, default=5.2)
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument("--all-kinds", action="store_true", help="the 13 amount columns of BDAP's final accounts")
    args = parser.parse_args()
    extract = EXTRACT.with_name("bdap_national_all_kinds.csv") if args.all_kinds else EXTRACT
    if not extract.exists() or extract.stat().st_size < args.gigabytes * 0.95e9:
        from bench.national_extract import write_extract

        print(write_extract(extract, args.gigabytes, all_kinds=args.all_kinds))
    size = extract.stat().st_size
    print(f"extract: {extract} ({size / 1e9:.2f} GB)")
    for _ in range(args.repeat):
        polars_floor, polars_rss = child("floor_polars", path=str(extract))
        duck_floor, duck_rss = child("floor_duckdb", path=str(extract))
        with tempfile.TemporaryDirectory(dir=ROOT / "bench" / ".corpus") as home:
            load, load_rss = child("load", path=str(extract), home=home)
        result = json.loads(load)
        floor = float(polars_floor)
        processing = result["seconds"]["scan"] + result["seconds"]["validate"] + result["seconds"]["load"]
        print(
            f"floor polars {floor:.2f} s ({size / floor / 1e9:.2f} GB/s, {polars_rss:.0f} MB) | floor DuckDB"
            f" {float(duck_floor):.2f} s ({duck_rss:.0f} MB) | load {result['total']:.2f} s"
            f" ({size / result['total'] / 1e9:.2f} GB/s, peak {load_rss:.0f} MB; {result['lines']:,} lines,"
            f" {result['bodies']} bodies) | stages "
            + ", ".join(f"{k} {v:.2f}" for k, v in result["seconds"].items())
            + f" | ratio to the polars floor: {floor / result['total']:.2f} (scan + validate + load without the archive"
            f" copy: {floor / processing:.2f}); to the DuckDB floor: {float(duck_floor) / result['total']:.2f}"
        )


if __name__ == "__main__":
    main()
