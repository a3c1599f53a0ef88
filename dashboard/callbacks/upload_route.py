"""``POST <prefix>upload/tpf``: a TPF upload streamed to disk as it arrives.

A ``dcc.Upload`` sends the file base64-encoded inside a callback's JSON, which the server holds
whole several times over (the body, the string, the decoded bytes, then the decoding: ~6x the
file, 446 MiB for a 47 MiB TPF). Here the page's script (assets/uploads.js) POSTs the file's
own bytes; they are written to the store's ``incoming`` folder a mebibyte at a time and hashed
as they arrive, and the upload cap is enforced while streaming (and before, from
Content-Length). The answer is the file's id; the page hands it to the upload callback
(files.py) as a small token in ``upload-tpf.contents``, and that callback opens the
file (in pieces, data/tpf_stream.py) and says what was wrong with a bad one, as for any upload.
Nothing here decodes a file.
"""

from __future__ import annotations

import hashlib
import logging
import os
import tempfile
import time
from pathlib import Path

from flask import jsonify, request

log = logging.getLogger(__name__)

CHUNK = 2**20
TOKEN_PREFIX = "tpf-upload:"
UNCLAIMED_S = 3600  # an upload not opened within the hour is removed


def incoming_folder(store) -> Path:
    """Where streamed uploads wait for the upload callback to open them."""
    return store.directory.parent / "incoming"


def incoming_path(store, fid: str) -> Path:
    """Where a streamed upload with id ``fid`` waits for the upload callback to open it."""
    return incoming_folder(store) / f"{fid}.fits"


def too_large(filename: str, limit: int) -> str:
    return (f"{filename} is over the upload limit of {limit / 2**20:,.0f} MB. Run the "
            "dashboard locally with `python -m dashboard FILE` to open larger files.")


def forget_unclaimed(folder: Path, older_than_s: float = UNCLAIMED_S) -> None:
    """Remove uploads no page opened (the page was closed mid-way): they only take space."""
    now = time.time()
    for path in folder.glob("*.fits"):
        try:
            if now - path.stat().st_mtime > older_than_s:
                path.unlink()
        except OSError:
            pass  # another worker took or removed it


def receive(stream, folder: Path, limit: int) -> tuple[str, Path, int]:
    """Write ``stream`` to a new file in ``folder``, hashing as it goes; (id, path, bytes).
    Raises OverflowError past ``limit`` bytes (the partial file is removed)."""
    folder.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=folder, prefix=".receiving-")
    digest, size = hashlib.sha256(), 0
    try:
        with os.fdopen(handle, "wb") as out:
            while True:
                chunk = stream.read(CHUNK)
                if not chunk:
                    break
                size += len(chunk)
                if size > limit:
                    raise OverflowError(size)
                digest.update(chunk)
                out.write(chunk)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    fid = digest.hexdigest()[:20]
    target = folder / f"{fid}.fits"
    os.replace(temporary, target)
    return fid, target, size


def register(app, store, settings) -> None:
    limit = settings.max_upload_bytes

    @app.server.route(app.config.routes_pathname_prefix + "upload/tpf", methods=["POST"])
    def upload_tpf():
        filename = (request.args.get("name") or "uploaded file")[:200]
        if request.content_length is not None and request.content_length > limit:
            return jsonify(message=too_large(filename, limit)), 413
        if not request.content_length:
            return jsonify(message=f"{filename}: nothing was received."), 400
        folder = incoming_folder(store)
        forget_unclaimed(folder)
        try:
            fid, _, size = receive(request.stream, folder, limit)
        except OverflowError:
            return jsonify(message=too_large(filename, limit)), 413
        except OSError as exc:
            log.warning("could not keep the upload of %r: %s", filename, exc)
            # The server's disk, not the file: a 503 (try again), never a 500.
            return jsonify(message=f"{filename} could not be kept on the server; try "
                                   "again."), 503
        if size != request.content_length:
            incoming_path(store, fid).unlink(missing_ok=True)
            return jsonify(message=f"{filename}: the upload arrived incomplete; try again."), 400
        log.info("received %r: %d bytes, id %s", filename, size, fid)
        return jsonify(token=TOKEN_PREFIX + fid, name=filename, bytes=size)
