"""Small jobs for the run launcher's tests (``tests/test_launcher.py``): importable by the launched run's process."""

import time

import dagster as dg


@dg.op
def say(context):
    pooled = getattr(context.instance, "_areavasta_pooled", False)  # pipelines.instance.pooled
    context.log.info(f"said 42, pooled={pooled}")


@dg.op
def fail():
    raise RuntimeError("a failing op")


@dg.op
def sleep():
    time.sleep(60)


def define_ok_job():
    @dg.job(name="ok_job", executor_def=dg.in_process_executor)  # as the pipeline's jobs: steps in the run's process
    def ok_job():
        say()

    return ok_job


def define_failing_job():
    @dg.job(name="failing_job")
    def failing_job():
        fail()

    return failing_job


def define_slow_job():
    @dg.job(name="slow_job")
    def slow_job():
        sleep()

    return slow_job
