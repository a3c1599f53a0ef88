"""The frame painter's supply: the ``frame-source`` store of the view, and ``/frames/<id>``
serving the batches it names (view/frame_source.py)."""

from __future__ import annotations

from dash import Input, Output
from flask import Response, jsonify, request

from ..data import DataError
from ..view.custom import parse_custom
from ..view.frame_source import frame_batch, frame_source
from ..view.owner import ViewRecord


def register(app, store) -> None:
    @app.server.route(app.config.routes_pathname_prefix + "frames/<fid>")
    def frames(fid):
        try:
            body = frame_batch(store, fid, request.args)
        except DataError as exc:  # an unknown or evicted file
            return jsonify(message=str(exc)), 404
        except (KeyError, ValueError, TypeError):
            return jsonify(message="That frame request is not valid."), 400
        response = Response(body, mimetype="application/octet-stream")
        # A file id names content and the query every choice that shapes the batch: it never
        # changes, so the browser may keep it.
        response.headers["Cache-Control"] = "private, max-age=86400, immutable"
        return response

    @app.callback(
        Output("frame-source", "data"),
        Input("view", "data"),
        Input("custom", "data"),
        prevent_initial_call=True,
    )
    def update_source(view, custom):
        return frame_source(store, ViewRecord.from_store(view).state, parse_custom(custom))
