"""The callbacks over HTTP, as the Dash renderer calls them, and the command line's failures.

Payloads are built from the server's own ``/_dash-dependencies`` (the exact output strings,
hashes included), so these tests speak the same protocol as the browser without one.
"""

from __future__ import annotations

import base64
import os
import subprocess
import sys

import numpy as np
import pytest
import requests

from dashboard.data.demo import COSMIC_RAY, TRUTH, demo_tpf

from ..conftest import ROOT, free_port

TESS_LIGHT_CURVE = "tess2018206045859-s0001-0000000358108509-0120-s_lc.fits"
KEPLER_TPF = "kplr011904151-2010009091648_lpd-targ.fits"
UPDATE = "/_dash-update-component"


@pytest.fixture(scope="module")
def demo():
    return demo_tpf()




def walk(node):
    """Every component (dict with props) in a serialised layout."""
    if isinstance(node, list):
        for child in node:
            yield from walk(child)
    elif isinstance(node, dict) and "props" in node:
        yield node
        yield from walk(node["props"].get("children"))


def component(layout, id_):
    return next(c for c in walk(layout) if c["props"].get("id") == id_)


def names(items) -> list[str]:
    return [f"{i['id']}.{i['property']}" for i in items]


def find_callback(dependencies, input_: str, output: str) -> dict:
    """The one server callback that ``input_`` (``id.prop``) triggers and that sets ``output``."""
    found = [d for d in dependencies
             if d.get("clientside_function") is None and input_ in names(d["inputs"])
             and any(o.split("@")[0] == output for o in names(split_outputs(d["output"])))]
    assert len(found) == 1, f"expected one callback from {input_} to {output}: {found}"
    return found[0]


def split_outputs(output: str) -> list[dict]:
    """``..a.b...c.d@hash..`` (or ``a.b`` for one output) as the renderer's outputs list."""
    parts = output[2:-2].split("...") if output.startswith("..") else [output]
    return [{"id": p.split(".", 1)[0], "property": p.split(".", 1)[1]} for p in parts]


def call(server, callback, layout, changed: dict, state: dict | None = None) -> requests.Response:
    """POST what the renderer sends for ``callback`` when the ``changed`` inputs take these
    values (``{"id.prop": value}``): every other input and state as the page first has it."""
    return requests.post(server.url + UPDATE, json=payload(callback, layout, changed, state),
                         timeout=60)


def payload(callback: dict, layout, changed: dict, state: dict | None = None) -> dict:
    """The renderer's request body for ``callback`` (see ``call``)."""
    given = {**changed, **(state or {})}

    def value(spec):
        key = f"{spec['id']}.{spec['property']}"
        if key in given:
            return given[key]
        found = [c for c in walk(layout) if c["props"].get("id") == spec["id"]]
        return found[0]["props"].get(spec["property"]) if found else None

    outputs = split_outputs(callback["output"])
    return {
        "output": callback["output"],
        # As the renderer sends it: one output is an object, several a list.
        "outputs": outputs if callback["output"].startswith("..") else outputs[0],
        "inputs": [dict(spec, value=value(spec)) for spec in callback["inputs"]],
        "changedPropIds": list(changed),
        "state": [dict(spec, value=value(spec)) for spec in callback.get("state", [])],
    }


def default_session(layout) -> dict:
    return component(layout, "session")["props"]["data"]


def decode_typed_array(spec: dict) -> np.ndarray:
    dtypes = {"f4": "<f4", "f8": "<f8", "i4": "<i4", "i2": "<i2", "u1": "u1"}
    values = np.frombuffer(base64.b64decode(spec["bdata"]), dtype=dtypes[spec["dtype"]])
    shape = spec.get("shape")
    if shape is not None:
        assert isinstance(shape, (str, int)), "plotly.js 4.1 draws nothing for a list shape"
        values = values.reshape([int(n) for n in str(shape).split(",")])
    return values


def patch_assignments(patch: dict) -> dict:
    """``{location tuple: value}`` of a serialised dash.Patch's Assign operations."""
    assert patch.get("__dash_patch_update") == "__dash_patch_update", patch
    return {tuple(op["location"]): op["params"]["value"]
            for op in patch["operations"] if op["operation"] == "Assign"}


# --- layout and dependencies ---------------------------------------------------------------------

def test_layout_has_the_documented_ids(layout):
    ids = {c["props"].get("id") for c in walk(layout)}
    for id_ in ("lightcurve", "pixels", "cadence", "player", "play", "prev", "next", "speed",
                "stretch", "scale", "upload-tpf", "message", "readout", "header", "cursor",
                "session"):
        assert id_ in ids, id_
    assert default_session(layout)["file"]


def test_health_is_json(demo_server, layout):
    response = requests.get(demo_server.url + "/health", timeout=10)
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("application/json")
    body = response.json()
    assert body["status"] == "ok"
    assert body["default_file"] == default_session(layout)["file"]


# --- the step ------------------------------------------------------------------------------------

@pytest.mark.parametrize("frame", [0, TRUTH["cosmic_ray"]["frame"], 1999])
def test_sync_sends_the_frame_as_a_patch(demo_server, dependencies, layout, demo, frame):
    """When stepping pauses, the browser asks for Plotly's heatmap to catch up (frame-sync)."""
    step = find_callback(dependencies, "frame-sync.data", "pixels.figure")
    assert "session.data" in names(step["state"])
    # One output per step: the readout's strings travel with the frame (trace meta).
    assert [n.split("@")[0] for n in names(split_outputs(step["output"]))] == ["pixels.figure"]

    response = call(demo_server, step, layout, {"frame-sync.data": {"frame": frame, "request": 1}})
    assert response.status_code == 200, response.text[:500]
    body = response.json()["response"]

    ops = patch_assignments(body["pixels"]["figure"])
    assert set(ops) <= {("data", 0, "z"), ("data", 0, "meta")}  # the pixels, nothing else
    z = decode_typed_array(ops[("data", 0, "z")])
    assert z.dtype == np.float32
    assert np.array_equal(z, np.asarray(demo.flux[frame], dtype=np.float32), equal_nan=True)
    if frame == TRUTH["cosmic_ray"]["frame"]:
        assert np.unravel_index(np.nanargmax(z), z.shape) == (COSMIC_RAY["row"],
                                                              COSMIC_RAY["column"])

    # The frame it is, and the readout for it: cadence number (the file's CADENCENO, not the
    # index), then the time in the mission system.
    meta = ops[("data", 0, "meta")]
    assert meta["frame"] == frame
    assert meta["readout"][0] == str(demo.cadenceno[frame])
    assert meta["readout"][1] == f"{demo.time[frame]:.5f} BKJD"

    # A step is small: the frame's bytes and some text, not a figure.
    assert len(response.content) < 8_000, len(response.content)


def test_sync_clamps_an_out_of_range_frame(demo_server, dependencies, layout, demo):
    step = find_callback(dependencies, "frame-sync.data", "pixels.figure")
    response = call(demo_server, step, layout, {"frame-sync.data": {"frame": 10**6}})
    assert response.status_code == 200
    ops = patch_assignments(response.json()["response"]["pixels"]["figure"])
    assert np.array_equal(decode_typed_array(ops[("data", 0, "z")]), demo.flux[-1])


def test_sync_with_a_stale_file_reference_is_not_a_500(demo_server, dependencies, layout):
    step = find_callback(dependencies, "frame-sync.data", "pixels.figure")
    response = call(demo_server, step, layout, {"frame-sync.data": {"frame": 3}},
                    {"session.data": {"file": "0" * 20}})
    assert response.status_code in (200, 204), response.text[:500]


# --- uploads -------------------------------------------------------------------------------------

def upload_callback(dependencies):
    return find_callback(dependencies, "upload-tpf.contents", "session.data")


def upload(server, dependencies, layout, contents: str, filename: str) -> requests.Response:
    return call(server, upload_callback(dependencies), layout,
                {"upload-tpf.contents": contents}, {"upload-tpf.filename": filename})


def frame_callback(dependencies) -> tuple[dict, str]:
    """The server callback that sends a frame's pixels, and the input that names the frame."""
    for key in ("cadence.value", "frame-sync.data"):
        found = [d for d in dependencies if d.get("clientside_function") is None
                 and key in [f"{i['id']}.{i['property']}" for i in d["inputs"]]
                 and "pixels.figure" in d["output"]]
        if found:
            return found[0], key
    raise AssertionError("no server callback sends the pixels of a frame")


def frame_changes(key: str, frame: int) -> dict:
    if key == "frame-sync.data":
        return {"frame-sync.data": {"frame": frame, "request": frame + 1}}
    return {"cadence.value": frame}


def message_text(body: dict) -> str:
    return str(body["message"]["children"])


def data_url(data: bytes) -> str:
    return "data:application/octet-stream;base64," + base64.b64encode(data).decode("ascii")


def test_junk_upload_says_what_is_wrong(demo_server, dependencies, layout):
    response = upload(demo_server, dependencies, layout,
                      "data:application/octet-stream;base64,@@not*base64!!", "junk.fits")
    assert response.status_code == 200, response.text[:500]
    body = response.json()["response"]
    assert "junk.fits" in message_text(body) and "damaged" in message_text(body)
    assert "error" in message_text(body)  # shown with the error style
    assert "session" not in body  # the open file stays as it was

    response = upload(demo_server, dependencies, layout, data_url(b"hello, not a FITS file"),
                      "notes.fits")
    assert response.status_code == 200, response.text[:500]
    body = response.json()["response"]
    assert "notes.fits" in message_text(body)
    assert "session" not in body


def test_light_curve_upload_says_it_is_a_light_curve(demo_server, dependencies, layout,
                                                     shared_file):
    path = shared_file(TESS_LIGHT_CURVE)
    response = upload(demo_server, dependencies, layout, data_url(path.read_bytes()), path.name)
    assert response.status_code == 200, response.text[:500]
    body = response.json()["response"]
    assert "light-curve file" in message_text(body)
    assert "session" not in body


def test_tpf_upload_opens_it(fresh_server, shared_file):
    path = shared_file(KEPLER_TPF)
    server = fresh_server()  # the upload is stored server-side: keep the shared demo as it is
    dependencies = requests.get(server.url + "/_dash-dependencies", timeout=30).json()
    layout = requests.get(server.url + "/_dash-layout", timeout=30).json()
    response = upload(server, dependencies, layout, data_url(path.read_bytes()), path.name)
    assert response.status_code == 200, response.text[:500]
    body = response.json()["response"]
    fid = body["session"]["data"]["file"]
    # That session's drawing callback then shows it.
    show = find_callback(dependencies, "session.data", "header.children")
    response = call(server, show, layout, {"session.data": {"file": fid}})
    assert response.status_code == 200, response.text[:500]
    drawn = response.json()["response"]
    assert "KIC 11904151" in str(drawn["header"]["children"])
    assert drawn["cadence"]["max"] == 1020


@pytest.fixture
def capped_server(fresh_server, monkeypatch):
    """A dashboard with a 1 MB TPF upload cap (read from the server's environment)."""
    monkeypatch.setenv("TPF_DASHBOARD_MAX_UPLOAD_MB", "1")
    return fresh_server()


@pytest.fixture
def capped_upload(capped_server):
    deps = requests.get(capped_server.url + "/_dash-dependencies", timeout=30).json()
    layout = requests.get(capped_server.url + "/_dash-layout", timeout=30).json()
    return lambda data, name: upload(capped_server, deps, layout, data_url(data), name)


def test_upload_over_the_cap_says_so(capped_upload):
    response = capped_upload(bytes(1_500_000), "big.fits")
    assert response.status_code == 200, response.status_code
    body = response.json()["response"]
    assert "big.fits" in message_text(body)
    assert "over the upload limit of 1 MB" in message_text(body)
    assert "session" not in body


def test_upload_far_over_the_cap_says_so(capped_upload):
    """A body over Flask's MAX_CONTENT_LENGTH is refused unread, still with a message."""
    response = capped_upload(bytes(3_000_000), "huge.fits")
    assert response.status_code == 200, response.status_code
    body = response.json()["response"]
    assert "over the upload limit of 1 MB" in message_text(body)
    assert "session" not in body


# --- the command line ----------------------------------------------------------------------------

def run_cli(tmp_path, *args: str) -> subprocess.CompletedProcess:
    env = dict(os.environ, TPF_DASHBOARD_CACHE=str(tmp_path / "cache"))
    # Were it to start serving instead of refusing, the timeout ends the test.
    return subprocess.run([sys.executable, "-m", "dashboard", *args, "--port", str(free_port())],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)


def assert_one_line_error(result: subprocess.CompletedProcess) -> str:
    assert result.returncode != 0
    lines = result.stderr.strip().splitlines()
    assert "Traceback" not in result.stderr, result.stderr
    assert len(lines) == 1, result.stderr
    assert "Serving" not in result.stdout
    return lines[0]


def test_cli_refuses_a_missing_file(tmp_path):
    line = assert_one_line_error(run_cli(tmp_path, "/nonexistent.fits"))
    assert "/nonexistent.fits" in line


def test_cli_refuses_a_light_curve_file(tmp_path, shared_file):
    path = shared_file(TESS_LIGHT_CURVE)
    line = assert_one_line_error(run_cli(tmp_path, str(path)))
    assert path.name in line and "light-curve file" in line
