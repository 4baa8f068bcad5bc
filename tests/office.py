"""The office tools some tests need (LibreOffice to convert, pdftotext to read the PDF): skipped with a loud reason on a
machine without them, a failure under ``CI=true`` (``.ci/run`` installs them)."""

from __future__ import annotations

import os
import shutil

import pytest


def office_tools(what: str) -> tuple[str, str]:
    """``(soffice, pdftotext)``, or fail (CI) / skip (elsewhere) saying what is missing and what ``what`` needed it
    for."""
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    pdftotext = shutil.which("pdftotext")
    if soffice is None or pdftotext is None:
        if os.environ.get("CI") == "true":
            pytest.fail(f"LibreOffice and pdftotext are required under CI=true to check {what} (.ci/run installs them)")
        pytest.skip(
            f"LibreOffice or pdftotext NOT INSTALLED: install libreoffice-writer-nogui, libreoffice-calc-nogui and "
            f"poppler-utils to check {what}"
        )
    return soffice, pdftotext
