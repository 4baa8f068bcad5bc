"""The asset graph, built once from its declarations (``pipelines.graph``) by one factory (``pipelines.factory``).

Every stage's asset runs its stage for all the partitions of its run (single-run backfills: a national backfill is
one run, vectorised in polars) and writes only those partitions, under the ``warehouse`` concurrency pool (limit 1,
``dagster_home/dagster.yaml``). Its dependencies are the producers of the tables it reads: loading the definitions
fails on a table read that nothing writes. The loads a person starts (``national_lines``, ``ratings``) and the inbox
folder's intake (``archived_uploads``) are assets too (``pipelines.loaders``, ``pipelines.inbox``).
"""

import dagster as dg

from pipelines import dagster_setup  # noqa: F401 (Dagster's process-wide settings, before any Dagster object)
from pipelines.declaration import BODY
from pipelines.factory import asset_of, layers, producers
from pipelines.graph import LOADERS, STAGES
from pipelines.inbox import archived_uploads
from pipelines.loaders import LOADER_ASSETS

WRITTEN_BY = producers(STAGES, LOADERS)  # table -> its stage or loader (raises on a table written twice)
LAYERS = layers(STAGES, WRITTEN_BY)  # [(partitions, [stage names])]: raises on a read with no producer
SOURCES = ("archived_uploads", *(loader.name for loader in LOADERS))  # started by a file, never by automation
PARTITIONS = {**dict.fromkeys(SOURCES), **{stage.name: stage.partitions for stage in STAGES}}

# Stages after the first layer follow their inputs on their own (declarative automation): a new upload or the annual
# rerun materialises the first body stages, and Dagster then brings the year and later stages up to date. Loads a
# person starts are ignored (a national extract is followed by ``areavasta run``, as before), and so is their
# absence (a deployment without national data or questionnaires).
IGNORED = dg.AssetSelection.assets(*SOURCES)
FOLLOW = dg.AutomationCondition.eager().ignore(IGNORED)
# A year's cross-body stages depend on every registered body's partition of that year, and a body without data that
# year never fills its own: requiring all of them present would leave a new year unprocessed for ever.
FOLLOW_YEAR = dg.AutomationCondition.eager().without(~dg.AutomationCondition.any_deps_missing()).ignore(IGNORED)


def _follow(stage):
    if stage.name in LAYERS[0][1]:
        return None
    return FOLLOW if stage.partitions == BODY else FOLLOW_YEAR


STAGE_ASSETS = {stage.name: asset_of(stage, WRITTEN_BY, PARTITIONS, _follow(stage)) for stage in STAGES}
ALL_ASSETS = list(STAGE_ASSETS.values())  # the method's stages, what ``areavasta run`` materialises
GRAPH = [archived_uploads, *LOADER_ASSETS, *ALL_ASSETS]  # everything the definitions hold
BODY_ASSETS = [STAGE_ASSETS[s.name] for s in STAGES if s.partitions == BODY]
FIRST_LAYER = [STAGE_ASSETS[name] for name in LAYERS[0][1]]
