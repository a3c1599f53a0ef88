"""The Blip report tab's callbacks over HTTP: the report of a frame names the demo's artifact
there and draws it, the blips list lists them, the centroid test refuses what it cannot do."""

from __future__ import annotations

import json

import pytest

from dashboard.data.demo import COSMIC_RAY, TRANSIT

from .test_http import call, default_view, find_callback


def report(server, dependencies, layout, frame: int) -> dict:
    view = default_view(layout)
    callback = find_callback(dependencies, "report-frame.data", "blip-report.children")
    response = call(server, callback, layout,
                    {"report-frame.data": {"file": view["state"]["file"], "frame": frame}})
    assert response.status_code == 200, response.text[:300]
    return response.json()["response"]


def test_the_report_of_the_cosmic_ray_names_it_and_marks_its_pixel(demo_server, dependencies,
                                                                  layout):
    body = report(demo_server, dependencies, layout, COSMIC_RAY["frame"])
    text = json.dumps(body["blip-report"]["children"])
    assert f"Frame {COSMIC_RAY['frame']} (0-based)" in text
    cards = [c for c in body["blip-report"]["children"]
             if "blip-card" in str(c.get("props", {}).get("className"))]
    assert cards and "Cosmic ray" in json.dumps(cards[0])
    overlay = body["blip-overlay"]["data"]
    assert overlay["kind"] == "cosmic_ray"
    assert overlay["overlay"]["pixels"] == [[COSMIC_RAY["row"], COSMIC_RAY["column"]]]


def test_a_quiet_frame_says_nothing_stands_out_and_draws_nothing(demo_server, dependencies,
                                                                 layout):
    body = report(demo_server, dependencies, layout, 1500)
    assert body["blip-overlay"]["data"] is None or \
        body["blip-overlay"]["data"]["kind"] in ("flagged", "noise")


def test_the_list_names_the_cosmic_ray_and_the_asteroid(demo_server, dependencies, layout):
    callback = find_callback(dependencies, "view.data", "blip-list.children")
    response = call(demo_server, callback, layout, {"view.data": default_view(layout)})
    text = json.dumps(response.json()["response"]["blip-list"]["children"])
    assert "Cosmic ray" in text and "Moving object" in text
    assert f'"frame": {COSMIC_RAY["frame"]}' in text  # its row's button goes there


@pytest.mark.parametrize("values, words", [
    ({}, "Give the period and duration"),
    ({"centroid-period.value": -1, "centroid-epoch.value": 1, "centroid-duration.value": 1},
     "Give the period"),
])
def test_the_centroid_test_says_what_it_needs(demo_server, dependencies, layout, values, words):
    callback = find_callback(dependencies, "centroid-run.n_clicks", "centroid-result.children")
    response = call(demo_server, callback, layout, {"centroid-run.n_clicks": 1}, values)
    assert words in json.dumps(response.json()["response"]["centroid-result"]["children"])


def test_the_centroid_test_of_the_transit(demo_server, dependencies, layout):
    callback = find_callback(dependencies, "centroid-run.n_clicks", "centroid-result.children")
    response = call(demo_server, callback, layout, {"centroid-run.n_clicks": 1}, {
        "centroid-period.value": TRANSIT["period"], "centroid-epoch.value": TRANSIT["epoch"],
        "centroid-duration.value": TRANSIT["duration"]})
    body = response.json()["response"]
    assert "on the target" in json.dumps(body["centroid-result"]["children"])
    assert set(body["centroid-overlay"]["data"]) >= {"centroid", "target", "odd", "even"}
