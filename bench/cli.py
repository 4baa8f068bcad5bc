"""Benchmark: how fast the command line answers (issue 28: ``areavasta --help`` ≤ 0.5 s, ``validate`` of a 100-row
file ≤ 1 s on the 2-core machine). Each command runs as a fresh process, as a user types it; CPU time (user + system of
the child) and wall time, min / median / max over ``--repeat`` runs.

    .venv/bin/python bench/cli.py [--repeat 5]

The 100-row file is a generated open-format CSV (100 spending lines of one body), written to a temporary folder.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TARGETS = {"--help": 0.5, "validate": 1.0}


def _hundred_rows(folder: Path) -> Path:
    sys.path.insert(0, str(ROOT))
    from sources.samples.budget import generate_budget

    lines = generate_budget("237", 2025, "rendiconto").head(100)
    path = folder / "237_2025_rendiconto_righe.csv"
    lines.select("missione", "programma", "titolo", "macroaggregato", "amount_kind", "amount_cents").write_csv(path)
    return path


def _timed(command: list[str]) -> tuple[float, float]:
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run(
        command,
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        check=False,
        env={**os.environ, "AREAVASTA_HOME": tempfile.mkdtemp()},
    )
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    binary = str(ROOT / ".venv" / "bin" / "areavasta")
    with tempfile.TemporaryDirectory() as folder:
        sample = _hundred_rows(Path(folder))
        commands = {"--help": [binary, "--help"], "validate": [binary, "validate", str(sample)]}
        for name, command in commands.items():
            runs = [_timed(command) for _ in range(args.repeat)]
            wall, cpu = sorted(r[0] for r in runs), sorted(r[1] for r in runs)
            print(
                f"{name:9} wall {wall[0]:.2f} / {statistics.median(wall):.2f} / {wall[-1]:.2f} s   "
                f"CPU {cpu[0]:.2f} / {statistics.median(cpu):.2f} / {cpu[-1]:.2f} s   (target ≤ {TARGETS[name]} s)"
            )


if __name__ == "__main__":
    main()
