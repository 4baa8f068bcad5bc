"""Headless Chromium for the tests: render a local page, return its DOM after scripts ran, its console, a screenshot."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest

FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--host-resolver-rules=MAP * ~NOTFOUND",
    "--virtual-time-budget=10000",
]


def chromium() -> str:
    path = shutil.which("chromium") or shutil.which("chromium-browser")
    if path is None:
        if os.environ.get("CI") == "true":
            pytest.fail("Chromium is required under CI=true (.ci/run installs the Debian package)")
        pytest.skip("Chromium not installed: apt-get install chromium to run the browser tests")
    return path


def render(page: Path, screenshot: Path | None = None, size: str = "1280,800") -> tuple[str, str]:
    """(DOM after JavaScript ran, browser log with the console messages)."""
    with tempfile.TemporaryDirectory() as profile:
        base = [
            chromium(),
            *FLAGS,
            f"--user-data-dir={profile}",
            f"--window-size={size}",
            "--enable-logging=stderr",
            "--v=0",
        ]
        dom = subprocess.run(
            [*base, "--dump-dom", page.resolve().as_uri()], capture_output=True, text=True, timeout=120
        )
        if screenshot is not None:
            screenshot.parent.mkdir(parents=True, exist_ok=True)
            subprocess.run(
                [*base, f"--screenshot={screenshot}", page.resolve().as_uri()], capture_output=True, timeout=120
            )
    return dom.stdout, dom.stderr
