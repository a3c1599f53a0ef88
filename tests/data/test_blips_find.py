"""find_blips(): the demo's events are found and named, a blip's significance is the one numpy
gives here, the list is sorted and its JSON is the issue's shape, and limits are said."""

from __future__ import annotations

import dataclasses
import json

import numpy as np
import pytest

from dashboard.data import open_tpf
from dashboard.data.blips import find_blips
from dashboard.data.demo import TRUTH, demo_tpf
from tests.synthetic import tpf_bytes


@pytest.fixture(scope="module")
def demo_events():
    return demo_tpf(), find_blips(demo_tpf())


def _overlapping(events, first, last):
    return [e for e in events if e.first <= last and e.last >= first]


def test_demo_cosmic_ray_asteroid_and_transits_are_found_and_named(demo_events):
    demo, events = demo_events
    ray = _overlapping(events, TRUTH["cosmic_ray"]["frame"], TRUTH["cosmic_ray"]["frame"])
    assert [e.kind for e in ray] == ["cosmic_ray"]
    assert ray[0].first == ray[0].last == TRUTH["cosmic_ray"]["frame"]
    asteroid = TRUTH["asteroid"]
    moving = _overlapping(events, asteroid["first_frame"], asteroid["last_frame"])
    assert moving and moving[0].kind == "moving_object" and moving[0].direction == "bump"
    transit = TRUTH["transit"]
    centres = transit["epoch"] + transit["period"] * np.arange(-1, 14)
    named = 0
    for centre in centres:
        inside = np.flatnonzero(np.abs(demo.time - centre) < transit["duration"] / 2)
        if inside.size == 0:
            continue
        found = _overlapping(events, inside[0], inside[-1])
        assert found, f"transit at BKJD {centre:.2f} not found"
        assert found[0].direction == "dip"
        named += found[0].kind == "on_target"
    assert named >= 10  # of 13 transits; the rest are merged with a thruster firing


def test_events_are_sorted_and_json_has_the_issue_shape(demo_events):
    _, events = demo_events
    significances = [e.significance for e in events]
    assert significances == sorted(significances, reverse=True)
    data = json.loads(json.dumps(events.to_dict(), allow_nan=False))
    assert len(data["events"]) == len(events)
    for row, event in zip(data["events"], events, strict=True):
        assert {"first", "last", "significance", "kind", "summary"} <= set(row)
        assert (row["first"], row["last"], row["kind"]) == (event.first, event.last, event.kind)


def _spiked(spike_sigma: float, frame: int = 200):
    """A noise-only light curve (one aperture pixel) with a spike of known size."""
    written = tpf_bytes(n_cadences=400, shape=(5, 6), mission="K2", seed=9)
    tpf = open_tpf(written.data)
    row, col = np.argwhere(tpf.pipeline_mask)[0]
    lc = tpf.flux[:, row, col].astype(np.float64)
    window = 49
    padded = np.pad(lc, window // 2, mode="reflect")
    trend = np.array([np.median(padded[i:i + window]) for i in range(lc.size)])
    residual = lc - trend
    sigma = 1.4826 * np.median(np.abs(residual - np.median(residual)))
    flux = tpf.flux.copy()
    flux[frame, row, col] += spike_sigma * sigma
    return dataclasses.replace(tpf, flux=flux), sigma, residual[frame] / sigma


def test_significance_is_the_spike_over_the_robust_scatter():
    tpf, sigma, noise_there = _spiked(20.0)
    events = find_blips(tpf)
    top = events[0]
    assert (top.first, top.last, top.peak) == (200, 200, 200)
    assert top.significance == pytest.approx(20.0 + noise_there, abs=0.5)
    assert top.excess == pytest.approx((20.0 + noise_there) * sigma, rel=0.05)
    assert events.numbers["sigma"] == pytest.approx(sigma, rel=0.05)
    assert all(e.significance < top.significance for e in events[1:])


def test_hidden_cadences_are_not_searched():
    tpf, _, _ = _spiked(20.0)
    hidden = np.zeros(tpf.n_cadences, bool)
    hidden[200] = True
    assert not _overlapping(find_blips(tpf, hidden=hidden), 200, 200)


def test_threshold_and_max_events_bound_the_list():
    tpf, _, _ = _spiked(8.0)
    assert not _overlapping(find_blips(tpf, threshold=12), 200, 200)
    assert len(find_blips(tpf, threshold=2, max_events=3, explain_events=False)) == 3


def test_what_cannot_be_searched_is_said():
    tpf = open_tpf(tpf_bytes(n_cadences=3).data)
    events = find_blips(tpf)
    assert list(events) == [] and "too few" in events.skipped[0].reason
    empty = find_blips(tpf, np.zeros(tpf.shape, bool))
    assert list(empty) == [] and "empty" in empty.skipped[0].reason
