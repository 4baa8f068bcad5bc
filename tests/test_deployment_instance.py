"""The deployment's instance class (``pipelines.deployment_instance``): read from a ``dagster.yaml`` as the daemon reads
it, it holds its connections and lets the daemon's sensor loop run at the inbox sensor's interval."""

from __future__ import annotations

import importlib
from pathlib import Path

import dagster as dg

from pipelines import deployment_instance
from pipelines.deployment_instance import LOOP_SECONDS, SENSOR_SECONDS, DeploymentInstance


def test_the_instance_of_a_dagster_yaml_with_the_class_is_pooled_and_shortens_the_sensor_loop(tmp_path, monkeypatch):
    loop = importlib.import_module("dagster._daemon.sensor")  # the daemon imports it before making its instance
    monkeypatch.setattr(loop, "MIN_INTERVAL_LOOP_TIME", 5)
    (tmp_path / "dagster.yaml").write_text(
        "instance_class:\n  module: pipelines.deployment_instance\n  class: DeploymentInstance\n"
        "telemetry:\n  enabled: false\n"
    )
    with dg.DagsterInstance.from_config(str(tmp_path)) as instance:
        assert isinstance(instance, DeploymentInstance)
        assert instance._areavasta_pooled
        with dg.DagsterInstance.from_ref(instance.get_ref()) as again:  # a run's process
            assert isinstance(again, DeploymentInstance)
    assert loop.MIN_INTERVAL_LOOP_TIME == LOOP_SECONDS < SENSOR_SECONDS  # else a sensor's tick every other round


def test_the_sensor_interval_is_a_few_seconds_and_the_loop_is_left_alone_outside_the_daemon(monkeypatch):
    assert 1 <= SENSOR_SECONDS <= 3  # an upload waits half of it on average for the sensor to see its receipt
    monkeypatch.delitem(__import__("sys").modules, "dagster._daemon.sensor", raising=False)
    deployment_instance.sensor_loop_at_sensor_interval()  # nothing to patch: nothing imported either
    assert "dagster._daemon.sensor" not in __import__("sys").modules


def test_the_run_queue_is_looked_at_every_half_second_with_its_limits_kept(tmp_path):
    from dagster._daemon.controller import create_daemon_of_type
    from dagster._daemon.run_coordinator.queued_run_coordinator_daemon import QueuedRunCoordinatorDaemon

    from pipelines.deployment_instance import DEQUEUE_SECONDS, PromptRunCoordinator

    deployed = (Path(__file__).resolve().parents[1] / "deploy" / "dagster.yaml").read_text()
    assert "class: PromptRunCoordinator" in deployed
    (tmp_path / "dagster.yaml").write_text(
        "run_coordinator:\n  module: pipelines.deployment_instance\n  class: PromptRunCoordinator\n"
        "concurrency:\n  runs:\n    max_concurrent_runs: 4\ntelemetry:\n  enabled: false\n"
    )
    with dg.DagsterInstance.from_config(str(tmp_path)) as instance:
        assert isinstance(instance.run_coordinator, PromptRunCoordinator)
        assert instance.get_concurrency_config().run_queue_config.max_concurrent_runs == 4  # as the daemon reads it
        daemon = create_daemon_of_type(QueuedRunCoordinatorDaemon.daemon_type(), instance)
        assert daemon.interval_seconds == DEQUEUE_SECONDS < 1
