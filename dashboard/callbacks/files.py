"""TPF uploads: the received file is checked, kept by content id, and handed to the view's
owner through ``upload-result``; a bad file leaves the view as it was and says why.

Two ways in, one writer of ``upload-result``: the page's script streams the file to the upload
route (dashboard/upload_route.py) and then sets ``upload-tpf.contents`` to the small token the
route answered (``tpf-upload:<id>``), whose file is opened here from disk in pieces; without
the script, ``dcc.Upload``'s own base64 data URL is decoded as before.
"""

from __future__ import annotations

import base64
import binascii
import logging
import re

from dash import Input, Output, State, no_update
from dash.exceptions import PreventUpdate

from ..data import DataError
from .parts import notes
from .upload_route import TOKEN_PREFIX, incoming_path

_ID = re.compile(r"[0-9a-f]{20}")

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
            if isinstance(contents, str) and contents.startswith(TOKEN_PREFIX):
                fid = open_streamed(store, contents[len(TOKEN_PREFIX):], filename)
            else:
                data = decode_upload(contents, limit, filename)
                fid = store.add(data, filename)
        except DataError as exc:
            log.info("refused upload %r: %s", filename, exc)
            return no_update, notes([str(exc)], "error"), None
        return {"file": fid, "name": filename}, [], None


def open_streamed(store, fid: str, filename: str) -> str:
    """The id of a file the upload route received, opened (and moved into the store)."""
    if not _ID.fullmatch(fid):
        raise DataError(f"{filename}: that upload reference is not valid; upload it again.")
    path = incoming_path(store, fid)
    if path.exists():
        return store.add_file(path, filename, fid=fid, move=True)
    try:
        store.get(fid)  # the same token again: opened already
    except DataError:
        raise DataError(f"{filename} is no longer on the server; upload it again.") from None
    return fid


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
