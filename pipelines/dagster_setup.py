"""Process-wide Dagster settings, applied by every module that builds or runs the graph (imported first by
``definitions``, ``assets``, ``runner`` and ``instance``); kept out of ``pipelines/__init__`` so that a command that
does not run the pipeline does not import Dagster (``areavasta --help`` in a fraction of a second)."""

import os
import warnings

import dagster as dg

warnings.filterwarnings("ignore", category=dg.BetaWarning)  # backfill_policy is beta in 1.13 and used on purpose

# Materialisation events written in batches (one INSERT per batch instead of one per partition): a single-run backfill
# of 1,070 partitions writes one event per partition and asset. With PostgreSQL storage the first body stage of the
# national backfill took 139 s one by one, 61 s batched (bench/backfill.py --instance postgres). Read by Dagster at each
# write.
os.environ.setdefault("DAGSTER_EVENT_BATCH_SIZE", "1000")
