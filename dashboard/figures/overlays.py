"""What the blip report and the centroid test draw on the image, as Plotly traces.

The pixel figure keeps a fixed trace slot for each kind of mark, always present (empty when
there is nothing to draw), so a change is a Patch of one slot's ``x``/``y``. Overlays come in
stamp coordinates (row, column floats, pixel centres on integers, as dashboard/data/blips
writes them); they are drawn on the image's CCD axes (column + x, row + y).
"""

from __future__ import annotations

TRACK_COLOUR = "#ffd23f"  # a moving object's track: yellow stands out on viridis and gray
MARK_COLOUR = "#ffffff"
HIT_COLOUR = "#ff4fd8"
CENTROID_COLOUR = "#00e5ff"

# Trace slots of the pixel figure (figures/pixels.py puts 0 and 1 there): the blip report's
# and the centroid test's marks, then the sky's (figures/sky.py draws those traces).
SLOTS = {"heatmap": 0, "select": 1, "track": 2, "marks": 3, "hits": 4, "centroid": 5,
         "sources": 6, "target": 7, "asteroid-path": 8, "asteroid-heading": 9, "asteroids": 10}
OVERLAY_SLOTS = ("track", "marks", "hits", "centroid")
SKY_SLOTS = ("sources", "target", "asteroid-path", "asteroid-heading", "asteroids")


def empty_trace(slot: str) -> dict:
    style = {
        "track": {"mode": "lines+markers", "line": {"color": TRACK_COLOUR, "width": 2},
                  "marker": {"size": 6, "color": TRACK_COLOUR}},
        "marks": {"mode": "markers", "marker": {"size": 14, "color": MARK_COLOUR,
                                                "line": {"width": 2, "color": MARK_COLOUR}}},
        "hits": {"mode": "markers", "marker": {"size": 16, "symbol": "square-open",
                                               "color": HIT_COLOUR, "line": {"width": 3}}},
        "centroid": {"mode": "markers", "marker": {"size": 13, "color": CENTROID_COLOUR,
                                                   "line": {"width": 2, "color": "#000"}}},
    }[slot]
    return {"type": "scatter", "name": slot, "x": [], "y": [], "text": [],
            "hovertemplate": "%{text}<extra></extra>", "showlegend": False, **style}


def overlay_traces(report_overlay: dict | None, centroid: dict | None, *, column: int,
                   row: int) -> dict[str, dict]:
    """The contents (x, y, text, marker symbols) of each overlay slot, for the blip report's
    top hypothesis ``report_overlay`` ({"kind", "overlay", "label"}) and a centroid test's
    ``centroid`` overlay ({"centroid", "target", "odd", "even", "label"})."""
    out = {slot: {"x": [], "y": [], "text": [], "symbols": []} for slot in OVERLAY_SLOTS}

    def put(slot, stamp_row, stamp_column, text, symbol="circle"):
        out[slot]["x"].append(column + float(stamp_column))
        out[slot]["y"].append(row + float(stamp_row))
        out[slot]["text"].append(text)
        out[slot]["symbols"].append(symbol)

    shown = report_overlay or {}
    overlay, label = shown.get("overlay") or {}, shown.get("label", "")
    for frame, r, c in overlay.get("track", []):
        put("track", r, c, f"{label}: frame {int(frame)}")
    for frame, r, c in overlay.get("predicted", []):
        put("marks", r, c, f"{label}: fitted track at frame {int(frame)}", "cross-thin-open")
    for key, symbol, words in (("target", "circle-open", "the target"),
                               ("centroid", "x-thin-open", "the change's centroid"),
                               ("shifted", "circle-open-dot", "the shifted star")):
        if overlay.get(key):
            put("marks", *overlay[key], f"{label}: {words}", symbol)
    for r, c in overlay.get("pixels", []):
        put("hits", r, c, f"{label}: the hit pixel", "square-open")
    test = centroid or {}
    for key, symbol in (("centroid", "x"), ("target", "circle-open"), ("odd", "triangle-up"),
                        ("even", "triangle-down")):
        if test.get(key):
            put("centroid", *test[key], f"centroid test: {key}", symbol)
    return out


def overlay_patch(contents: dict[str, dict], patch) -> None:
    """Write :func:`overlay_traces`'s contents into their slots of a Patch of the figure."""
    for slot, values in contents.items():
        trace = patch["data"][SLOTS[slot]]
        trace["x"], trace["y"], trace["text"] = values["x"], values["y"], values["text"]
        trace["marker"]["symbol"] = values["symbols"] or "circle"


def empty_sky_trace(slot: str) -> dict:
    return {"type": "scatter", "mode": "markers", "name": slot, "x": [], "y": [],
            "hoverinfo": "skip", "showlegend": False}


def sky_slots(source_traces: list[list[dict]], asteroid_traces: list[dict]) -> dict[str, dict]:
    """The sky's traces (figures/sky.py) in their fixed slots: every catalogue's sources in one
    trace (each point keeps its own colour and size), the target's mark, and the known
    asteroids' paths, headings and positions."""
    out = {slot: empty_sky_trace(slot) for slot in SKY_SLOTS}
    points = [t for traces in source_traces for t in traces if t.get("name") != "target"]
    if points:
        merged = dict(points[0], name="sources", x=[], y=[], text=[])
        sizes, colours = [], []
        for trace in points:
            merged["x"] += trace["x"]
            merged["y"] += trace["y"]
            merged["text"] += trace["text"]
            size = trace["marker"]["size"]
            sizes += size if isinstance(size, list) else [size] * len(trace["x"])
            colours += [trace["marker"]["line"]["color"]] * len(trace["x"])
        merged["hovertemplate"] = "%{text}<extra></extra>"
        merged["marker"] = dict(points[0]["marker"], size=sizes,
                                line={"color": colours, "width": 1.5})
        out["sources"] = merged
    targets = [t for traces in source_traces for t in traces if t.get("name") == "target"]
    if targets:
        out["target"] = targets[0]
    for slot, trace in zip(("asteroid-path", "asteroid-heading", "asteroids"),
                           asteroid_traces, strict=False):
        out[slot] = trace
    return out
