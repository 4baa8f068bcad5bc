"""What the portal tests do as a user: read the CSRF token of a page, log in, register the two offices they attack
from."""

from __future__ import annotations

import re

from starlette.testclient import TestClient

from dashboards import accounts


def csrf_token(client: TestClient, url: str = "/login") -> str:
    return re.search(r'name="csrf" value="([^"]+)"', client.get(url).text).group(1)


def login(client: TestClient, username: str, password: str):
    return client.post(
        "/login", data={"username": username, "password": password, "csrf": csrf_token(client)}, follow_redirects=False
    )


def two_offices(settings) -> None:
    """Bologna's and Modena's finance offices (one body each), the cast of the attacks."""
    accounts.add_user(settings, "ufficio.bo", "officer", "237", "pw-bologna")
    accounts.add_user(settings, "ufficio.mo", "officer", "036", "pw-modena")
