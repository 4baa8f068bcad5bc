"""The asset graph, built once from its declarations (``pipelines.graph``) by one factory (``pipelines.factory``).

Every stage's asset is partitioned by year and runs its stage for all the years of its run (single-run backfills: a
national backfill is one run, vectorised in polars); a body stage computes the bodies its run names, or every body
with data (``pipelines.body_scope``). It writes only those (body and) years, under the ``warehouse`` concurrency pool
(limit 1, ``dagster_home/dagster.yaml``). Its dependencies are the producers of the tables it reads: loading the
definitions fails on a table read that nothing writes. The loads a person starts (``national_lines``, ``ratings``)
and the inbox folder's intake (``archived_uploads``) are assets too (``pipelines.loaders``, ``pipelines.inbox``).
"""

from pipelines import dagster_setup  # noqa: F401 (Dagster's process-wide settings, before any Dagster object)
from pipelines.factory import asset_of, layers, producers
from pipelines.graph import LOADERS, STAGES
from pipelines.inbox import archived_uploads
from pipelines.loaders import LOADER_ASSETS

WRITTEN_BY = producers(STAGES, LOADERS)  # table -> its stage or loader (raises on a table written twice)
LAYERS = layers(STAGES, WRITTEN_BY)  # [(partitions, [stage names])]: raises on a read with no producer
SOURCES = ("archived_uploads", *(loader.name for loader in LOADERS))  # started by a file, never by automation

STAGE_ASSETS = {stage.name: asset_of(stage, WRITTEN_BY) for stage in STAGES}
ALL_ASSETS = list(STAGE_ASSETS.values())  # the method's stages, what ``areavasta run`` materialises
GRAPH = [archived_uploads, *LOADER_ASSETS, *ALL_ASSETS]  # everything the definitions hold
