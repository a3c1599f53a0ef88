"""What the renderer reads before calling back: the demo server's callbacks and layout."""

from __future__ import annotations

import pytest
import requests


@pytest.fixture(scope="module")
def dependencies(demo_server):
    response = requests.get(demo_server.url + "/_dash-dependencies", timeout=30)
    assert response.status_code == 200
    return response.json()


@pytest.fixture(scope="module")
def layout(demo_server):
    response = requests.get(demo_server.url + "/_dash-layout", timeout=30)
    assert response.status_code == 200
    return response.json()
