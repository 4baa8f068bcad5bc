"""Small jobs for the run launcher's tests (``tests/test_launcher.py``): importable by the launched run's process."""

import time

import dagster as dg


@dg.op
def say(context):
    context.log.info("said 42")


@dg.op
def fail():
    raise RuntimeError("a failing op")


@dg.op
def sleep():
    time.sleep(60)


def define_ok_job():
    @dg.job(name="ok_job")
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
