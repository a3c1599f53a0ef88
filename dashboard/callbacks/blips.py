"""The Blip report tab: the report of the frame on screen, the blips list, the centroid test.

The report follows the selected cadence once stepping pauses (``report-frame``, written by the
browser 600 ms after the last step, so stepping never waits for it) or when the view changes;
the events list is made with the first report (not at load: it takes the server 100-250 ms)
and again only when the view's aperture or quality mask changes;
what it found is drawn on the image through ``blip-overlay`` (callbacks/pixels.py draws it).
An evidence button asks the view's owner for that frame (and image) through ``view-request``.
"""

from __future__ import annotations

import re

from dash import ALL, ClientsideFunction, Input, Output, State, ctx, no_update

from ..data import DataError
from ..view import blips
from ..view.owner import ViewRecord
from .blip_cards import centroid_view, events_view, report_view
from .parts import mapping, notes


def _frame(record: ViewRecord, sync) -> int:
    sync = mapping(sync)
    if sync.get("file") == record.state.file and isinstance(sync.get("frame"), int):
        return sync["frame"]
    return record.goto


def register(app, store) -> None:
    @app.callback(
        Output("blip-report", "children"),
        Output("blip-overlay", "data"),
        Input("report-frame", "data"),
        Input("view", "data"),
        Input("sky-known", "data"),
        # Not at load: the browser asks for the first frame's report once it is on screen, so
        # the report (and its marks on the image) never delays the first view.
        prevent_initial_call=True,
    )
    def show_report(asked, view, known):
        record = ViewRecord.from_store(view)
        try:
            found = blips.report(store, record.state, _frame(record, asked))
        except DataError as exc:
            return notes([str(exc)]), None
        known = mapping(known)
        if known.get("file") == record.state.file:
            blips.name_known_object(found, known)
        top = found["hypotheses"][0] if found["hypotheses"] else None
        overlay = None
        if top and top["score"] >= 0.05 and top.get("overlay"):
            overlay = {"kind": top["kind"], "overlay": top["overlay"], "frame": found["frame"],
                       "label": blips.KIND_NAMES.get(top["kind"], top["kind"]),
                       "file": record.state.file}
        return report_view(found), overlay

    @app.callback(
        Output("blip-list", "children"),
        Output("blip-list-drawn", "data"),
        Input("view", "data"),
        Input("report-frame", "data"),
        State("blip-list-drawn", "data"),
        prevent_initial_call=True,  # with the first report, after the first view
    )
    def show_events(view, _asked, drawn):
        state = ViewRecord.from_store(view).state
        key = [state.file, state.aperture, state.sky, state.quality, list(state.bits)]
        if key == drawn:
            return no_update, no_update  # the same events: only the frame moved
        try:
            return events_view(blips.events(store, state)), key
        except DataError as exc:
            return notes([str(exc)]), key

    @app.callback(
        Output("centroid-result", "children"),
        Output("centroid-overlay", "data"),
        Input("centroid-run", "n_clicks"),
        Input("centroid-picked", "n_clicks"),
        State("centroid-period", "value"),
        State("centroid-epoch", "value"),
        State("centroid-duration", "value"),
        State({"type": "blip-pick", "index": ALL}, "value"),
        State("view", "data"),
        prevent_initial_call=True,
    )
    def run_centroid_test(run, picked_run, period, epoch, duration, picks, view):
        state = ViewRecord.from_store(view).state
        picked = [[int(n) for n in value.split("-")]
                  for chosen in (picks if isinstance(picks, list) else [])
                  if isinstance(chosen, list) for value in chosen
                  if isinstance(value, str) and re.fullmatch(r"\d+-\d+", value)]
        try:
            if ctx.triggered_id == "centroid-picked":
                if not picked:
                    return notes(["Pick events in the list first (the boxes on the left)."],
                                 "error"), no_update
                result = blips.centroid(store, state, picked=picked)
            else:
                if not all(isinstance(v, (int, float)) for v in (period, epoch, duration)) \
                        or not period > 0 or not duration > 0:
                    return notes(["Give the period and duration (days, more than 0) and the "
                                  "epoch (the file's own time system)."], "error"), no_update
                result = blips.centroid(store, state, period=period, epoch=epoch,
                                        duration=duration)
        except (DataError, ValueError) as exc:
            return notes([str(exc)], "error"), None
        overlay = dict(result.get("overlay") or {}, file=state.file)
        return centroid_view(result), overlay

    # An evidence or list button: show its frame, in its kind of image, through the owner.
    app.clientside_callback(
        ClientsideFunction("tpf", "requestFrame"),
        Output("view-request", "data"),
        Input({"type": "blip-go", "frame": ALL, "image": ALL, "kind": ALL}, "n_clicks"),
        prevent_initial_call=True,
    )

