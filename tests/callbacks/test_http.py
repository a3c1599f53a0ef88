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


def default_view(layout) -> dict:
    """The page's ``view`` store as the layout first has it."""
    return component(layout, "view")["props"]["data"]


def default_file(layout) -> str:
    return default_view(layout)["state"]["file"]


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
    for id_ in ("lightcurve", "pixels", "cadence", "play", "prev", "next", "speed", "stretch",
                "scale", "colormap", "upload-tpf", "upload-status", "message", "readout",
                "readout-frame", "readout-cadence", "header", "cursor", "view", "config"):
        assert id_ in ids, id_
    assert default_file(layout)


def writers(dependencies) -> dict[str, list[str]]:
    """Each property any callback writes (outputs, and a background job's running and progress
    outputs) and the callbacks that write it."""
    found = {}
    for callback in dependencies:
        if callback.get("no_output"):
            continue
        props = [o.split("@")[0] for o in names(split_outputs(callback["output"]))]
        props += list((callback.get("running") or {}).get("running", {}))
        props += [p.split("@")[0] for p in (callback.get("progress") or [])]
        for prop in props:
            if not prop.endswith(".id"):  # Dash's own placeholder output of a cancel button
                found.setdefault(prop, []).append(callback["output"][:60])
    return found


def test_every_property_has_one_writer(dependencies):
    """No property is written by two callbacks (Dash's allow_duplicate would hide it)."""
    shared = {prop: who for prop, who in writers(dependencies).items() if len(who) > 1}
    assert shared == {}
    # The frame, the slider, the readout and the address are the browser's (assets/view.js):
    # no server callback writes them.
    assert not {"cadence.value", "readout-flux.children", "url.search"} & set(
        writers(dependencies))


def test_health_is_json(demo_server, layout):
    response = requests.get(demo_server.url + "/health", timeout=10)
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("application/json")
    body = response.json()
    assert body["status"] == "ok"
    assert body["default_file"] == default_file(layout)


# --- the heatmap catching up with the painter ----------------------------------------------------

def sync(server, dependencies, layout, frame, file=None, view=None) -> requests.Response:
    step = find_callback(dependencies, "frame-sync.data", "pixels.figure")
    changes = {"frame-sync.data": {"file": file or default_file(layout), "frame": frame,
                                   "at": 1}}
    return call(server, step, layout, changes, {"view.data": view} if view else None)


@pytest.mark.parametrize("frame", [3, TRUTH["cosmic_ray"]["frame"], 1999])
def test_sync_sends_the_frame_as_a_patch(demo_server, dependencies, layout, demo, frame):
    """When stepping pauses, the browser asks for Plotly's heatmap to catch up (frame-sync):
    the frame's pixels and which frame they are, nothing else (the readout is the browser's)."""
    response = sync(demo_server, dependencies, layout, frame)
    assert response.status_code == 200, response.text[:500]
    body = response.json()["response"]
    ops = patch_assignments(body["pixels"]["figure"])
    assert set(ops) == {("data", 0, "z"), ("data", 0, "meta")}
    z = decode_typed_array(ops[("data", 0, "z")])
    assert z.dtype == np.float32
    assert np.array_equal(z, np.asarray(demo.flux[frame], dtype=np.float32), equal_nan=True)
    if frame == TRUTH["cosmic_ray"]["frame"]:
        assert np.unravel_index(np.nanargmax(z), z.shape) == (COSMIC_RAY["row"],
                                                              COSMIC_RAY["column"])
    assert ops[("data", 0, "meta")] == {"file": default_file(layout), "frame": frame}
    assert body["pixels-drawn"]["data"]["frame"] == frame  # its memory, in the same response
    assert len(response.content) < 8_000, len(response.content)  # a frame, not a figure


def test_sync_clamps_an_out_of_range_frame(demo_server, dependencies, layout, demo):
    response = sync(demo_server, dependencies, layout, 10**6)
    assert response.status_code == 200
    ops = patch_assignments(response.json()["response"]["pixels"]["figure"])
    assert np.array_equal(decode_typed_array(ops[("data", 0, "z")]), demo.flux[-1])


def test_sync_with_a_stale_file_reference_is_not_a_500(demo_server, dependencies, layout):
    view = default_view(layout)
    stale = {**view, "state": {**view["state"], "file": "0" * 20}}
    response = sync(demo_server, dependencies, layout, 3, file="0" * 20, view=stale)
    assert response.status_code in (200, 204), response.text[:500]


# --- uploads -------------------------------------------------------------------------------------

def upload_callback(dependencies):
    return find_callback(dependencies, "upload-tpf.contents", "upload-result.data")


def upload(server, dependencies, layout, contents: str, filename: str) -> requests.Response:
    return call(server, upload_callback(dependencies), layout,
                {"upload-tpf.contents": contents}, {"upload-tpf.filename": filename})


def message_text(body: dict) -> str:
    return str(body["upload-status"]["children"])


def data_url(data: bytes) -> str:
    return "data:application/octet-stream;base64," + base64.b64encode(data).decode("ascii")


def test_junk_upload_says_what_is_wrong(demo_server, dependencies, layout):
    response = upload(demo_server, dependencies, layout,
                      "data:application/octet-stream;base64,@@not*base64!!", "junk.fits")
    assert response.status_code == 200, response.text[:500]
    body = response.json()["response"]
    assert "junk.fits" in message_text(body) and "damaged" in message_text(body)
    assert "error" in message_text(body)  # shown with the error style
    assert "upload-result" not in body  # the open file stays as it was
    assert body["upload-tpf"]["contents"] is None  # the bytes are not kept in the page

    response = upload(demo_server, dependencies, layout, data_url(b"hello, not a FITS file"),
                      "notes.fits")
    assert response.status_code == 200, response.text[:500]
    body = response.json()["response"]
    assert "notes.fits" in message_text(body)
    assert "upload-result" not in body


def test_light_curve_upload_says_it_is_a_light_curve(demo_server, dependencies, layout,
                                                     shared_file):
    path = shared_file(TESS_LIGHT_CURVE)
    response = upload(demo_server, dependencies, layout, data_url(path.read_bytes()), path.name)
    assert response.status_code == 200, response.text[:500]
    body = response.json()["response"]
    assert "light-curve file" in message_text(body)
    assert "upload-result" not in body


def test_tpf_upload_opens_it(fresh_server, shared_file):
    path = shared_file(KEPLER_TPF)
    server = fresh_server()  # the upload is stored server-side: keep the shared demo as it is
    dependencies = requests.get(server.url + "/_dash-dependencies", timeout=30).json()
    layout = requests.get(server.url + "/_dash-layout", timeout=30).json()
    response = upload(server, dependencies, layout, data_url(path.read_bytes()), path.name)
    assert response.status_code == 200, response.text[:500]
    result = response.json()["response"]["upload-result"]["data"]
    # The view's owner then opens it: a new view, its header, the first frame asked for.
    owner = find_callback(dependencies, "upload-result.data", "view.data")
    response = call(server, owner, layout, {"upload-result.data": result})
    assert response.status_code == 200, response.text[:500]
    drawn = response.json()["response"]
    view = drawn["view"]["data"]
    assert view["state"]["file"] == result["file"] != default_file(layout)
    assert view["goto"] == {"frame": 0, "seq": default_view(layout)["goto"]["seq"] + 1}
    assert "KIC 11904151" in str(drawn["header"]["children"])
    source = find_callback(dependencies, "view.data", "frame-source.data")
    response = call(server, source, layout, {"view.data": view})
    assert response.json()["response"]["frame-source"]["data"]["frames"] == 1021


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
    assert "upload-result" not in body


def test_upload_far_over_the_cap_says_so(capped_upload):
    """A body over Flask's MAX_CONTENT_LENGTH is refused unread, still with a message."""
    response = capped_upload(bytes(3_000_000), "huge.fits")
    assert response.status_code == 200, response.status_code
    body = response.json()["response"]
    assert "over the upload limit of 1 MB" in message_text(body)
    assert "upload-result" not in body


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
