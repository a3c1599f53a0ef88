"""TPF uploads: the received file is checked, kept by content id, and handed to the view's
owner through ``upload-result``; a bad file leaves the view as it was and says why."""

from __future__ import annotations

import base64
import binascii
import logging

from dash import Input, Output, State, no_update
from dash.exceptions import PreventUpdate

from ..data import DataError
from .parts import notes

log = logging.getLogger(__name__)


def register(app, store, settings) -> None:
    limit = settings.max_upload_bytes

    @app.callback(
        Output("upload-result", "data"),
        Output("upload-status", "children"),
        # Emptied once read: the bytes are not kept in the page, and the same file can be
        # dropped again.
        Output("upload-tpf", "contents"),
        Input("upload-tpf", "contents"),
        State("upload-tpf", "filename"),
        prevent_initial_call=True,
    )
    def open_upload(contents, filename):
        if contents is None:
            raise PreventUpdate
        filename = filename if isinstance(filename, str) and filename else "uploaded file"
        try:
            data = decode_upload(contents, limit, filename)
            fid = store.add(data, filename)
        except DataError as exc:
            log.info("refused upload %r: %s", filename, exc)
            return no_update, notes([str(exc)], "error"), None
        return {"file": fid, "name": filename}, [], None


def decode_upload(contents: str | None, limit: int, filename: str) -> bytes:
    """The bytes of a ``dcc.Upload`` data URL, refusing anything over ``limit`` before decoding."""
    if not isinstance(contents, str) or "," not in contents:
        raise DataError(f"{filename}: nothing was received.")
    payload = contents.split(",", 1)[1]
    size = len(payload) * 3 // 4
    if size > limit:
        raise DataError(f"{filename} is {size / 2**20:,.1f} MB, over the upload limit of "
                        f"{limit / 2**20:,.0f} MB. Run the dashboard locally with "
                        "`python -m dashboard FILE` to open larger files.")
    try:
        return base64.b64decode(payload, validate=True)
    except (binascii.Error, ValueError):
        raise DataError(f"{filename}: the upload arrived damaged; try again.") from None
