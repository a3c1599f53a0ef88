"""Received files kept in an S3-compatible object store, for servers (dynos) that share no disk.

``TPF_DASHBOARD_STORE_URL=s3://bucket/prefix`` names the bucket and a key prefix; the endpoint,
credentials and region come from the standard AWS variables, which boto3 reads itself
(``AWS_ENDPOINT_URL`` for MinIO, R2, Ceph or any other non-AWS endpoint,
``AWS_ACCESS_KEY_ID``, ``AWS_SECRET_ACCESS_KEY``, ``AWS_DEFAULT_REGION``).

Keys are ``<prefix><kind>/<id>``: ``kind`` is ``tpf`` for target pixel files, or a blob kind
(``lightcurves``, ``catalogues``), and ``id`` the content id (the first 20 hex digits of the
SHA-256 of the bytes). The file's name travels in the object's metadata, percent-encoded
(S3 metadata is ASCII).

Nothing half-written is ever served: a file is uploaded under a temporary key
(``<prefix>incoming/<id>.<random>``), copied to its own key only once whole (a copy within a
bucket is one server-side operation, and an S3 object is visible only once complete), and every
fetch is checked against its id before it is renamed into place on the local disk; a copy whose
bytes do not hash to its id is refused and never reaches a reader.

Every request gives up after ``timeout`` seconds (connecting, and between bytes read) and is
tried at most twice. When the store does not answer, :class:`StoreUnavailable` is raised, the
outage is logged once, and for ``retry_after`` seconds the store is not asked at all, so a
dead store costs a request nothing but its clear message.
"""

from __future__ import annotations

import hashlib
import logging
import os
import re
import tempfile
import threading
import uuid
from pathlib import Path
from urllib.parse import quote, unquote, urlsplit

from .errors import DataError
from .outage import Outage

log = logging.getLogger(__name__)

_KIND = re.compile(r"[a-z0-9-]{1,40}")
_ID = re.compile(r"[0-9a-f]{20}")
_CHUNK = 1 << 20
_TEMPORARY_PREFIX = ".incoming-"


class StoreUnavailable(DataError):
    """The object store did not answer: down, failing, or slower than its timeout."""


class ObjectStore:
    """put / fetch / exists of files by kind and content id, in one bucket under a prefix."""

    def __init__(self, bucket: str, prefix: str = "", timeout: float = 5.0,
                 retry_after: float = 5.0, client=None):
        self.bucket = bucket
        self.prefix = prefix
        self.timeout = float(timeout)
        self.retry_after = float(retry_after)
        self._client = client
        self._client_pid = os.getpid() if client is not None else None
        self._lock = threading.Lock()
        self.outage = Outage(f"object store {self.url}",
                             "files already on this server keep working", self.retry_after, log)

    @classmethod
    def from_url(cls, url: str, timeout: float = 5.0, **options) -> ObjectStore:
        """The store an ``s3://bucket/prefix`` URL names (DataError for any other URL)."""
        parts = urlsplit(str(url))
        if parts.scheme != "s3" or not parts.netloc or parts.query or parts.fragment:
            raise DataError(f"TPF_DASHBOARD_STORE_URL must look like s3://bucket/prefix, not "
                            f"{url!r}.")
        prefix = parts.path.strip("/")
        return cls(parts.netloc, prefix + "/" if prefix else "", timeout, **options)

    @property
    def url(self) -> str:
        return f"s3://{self.bucket}/{self.prefix}"

    @property
    def available(self) -> bool:
        return self.outage.up

    def key(self, kind: str, fid: str) -> str:
        if not _KIND.fullmatch(kind) or not _ID.fullmatch(fid):
            raise ValueError(f"not a store key: {kind!r}/{fid!r}")
        return f"{self.prefix}{kind}/{fid}"

    # -- the three operations ---------------------------------------------------------------------

    def exists(self, kind: str, fid: str) -> bool:
        key = self.key(kind, fid)
        try:
            self._call("head_object", Bucket=self.bucket, Key=key)
        except _Absent:
            return False
        return True

    def put(self, kind: str, fid: str, data: bytes | Path, filename: str) -> None:
        """Publish ``data`` (bytes, or a file streamed from its path) under its key: uploaded
        under a temporary key, then copied into place whole, then the temporary key deleted
        (a bucket lifecycle rule on ``<prefix>incoming/`` removes any that a crash left)."""
        key = self.key(kind, fid)
        content_id = path_file_id(data) if isinstance(data, Path) else file_id(data)
        if content_id != fid:
            raise ValueError(f"{fid} is not the content id of these bytes")
        temporary = f"{self.prefix}incoming/{fid}.{uuid.uuid4().hex}"
        metadata = {"filename": quote(filename, safe="")}
        if isinstance(data, Path):
            with open(data, "rb") as body:
                self._call("put_object", Bucket=self.bucket, Key=temporary, Body=body,
                           Metadata=metadata)
        else:
            self._call("put_object", Bucket=self.bucket, Key=temporary, Body=data,
                       Metadata=metadata)
        try:
            self._call("copy_object", Bucket=self.bucket, Key=key,
                       CopySource={"Bucket": self.bucket, "Key": temporary})
        finally:
            try:
                self._call("delete_object", Bucket=self.bucket, Key=temporary)
            except (StoreUnavailable, _Absent):
                log.info("could not delete the temporary key %s (the lifecycle rule will)",
                         temporary)

    def fetch(self, kind: str, fid: str, destination: Path) -> str | None:
        """Write the file to ``destination`` (to a temporary file beside it, renamed into place
        only once its bytes hash to ``fid``) and return its name; None if the store has no
        such file. A damaged copy raises DataError and leaves nothing behind."""
        key = self.key(kind, fid)
        try:
            response = self._call("get_object", Bucket=self.bucket, Key=key)
        except _Absent:
            return None
        filename = unquote((response.get("Metadata") or {}).get("filename") or "") or None
        handle, name = tempfile.mkstemp(dir=destination.parent, prefix=_TEMPORARY_PREFIX)
        temporary = Path(name)
        try:
            digest = hashlib.sha256()
            with os.fdopen(handle, "wb") as out:
                try:
                    for chunk in response["Body"].iter_chunks(_CHUNK):
                        digest.update(chunk)
                        out.write(chunk)
                except Exception as exc:  # noqa: BLE001 (a stream cut short, a read timeout)
                    self.outage.failed("get_object (reading)", exc)
                    raise StoreUnavailable(_UNAVAILABLE) from None
            if digest.hexdigest()[:20] != fid:
                log.error("the object store's copy of %s is damaged (its bytes hash to %s); "
                          "refused", key, digest.hexdigest()[:20])
                raise DataError("The stored copy of that file is damaged and was not used; "
                                "open the file again.")
            os.replace(temporary, destination)
        except BaseException:
            temporary.unlink(missing_ok=True)
            raise
        self.outage.succeeded()
        return filename or "stored file"

    # -- the client, its failures -----------------------------------------------------------------

    def client(self):
        """boto3's S3 client, one per process (a client made before gunicorn forked would
        share its connections with the other workers)."""
        with self._lock:
            if self._client is None or self._client_pid != os.getpid():
                self._client = _make_client(self.timeout)
                self._client_pid = os.getpid()
            return self._client

    def _call(self, operation: str, **arguments):
        if not self.outage.should_try():
            raise StoreUnavailable(_UNAVAILABLE)
        from botocore.exceptions import BotoCoreError, ClientError  # noqa: PLC0415

        try:
            answer = getattr(self.client(), operation)(**arguments)
        except ClientError as exc:
            error = exc.response.get("Error", {})
            if str(error.get("Code")) in ("404", "NoSuchKey", "NotFound"):
                self.outage.succeeded()
                raise _Absent() from None
            self.outage.failed(operation, exc)
            raise StoreUnavailable(_UNAVAILABLE) from None
        except (BotoCoreError, OSError) as exc:
            self.outage.failed(operation, exc)
            raise StoreUnavailable(_UNAVAILABLE) from None
        if operation != "get_object":  # a fetch succeeds once its body has been read
            self.outage.succeeded()
        return answer


_UNAVAILABLE = "The dashboard's file store does not answer just now; try again in a minute."


class _Absent(Exception):
    """The store answered: no such key."""


def file_id(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()[:20]


def path_file_id(path: Path) -> str:
    """:func:`file_id` of a file's bytes, read in pieces."""
    with open(path, "rb") as handle:
        return hashlib.file_digest(handle, "sha256").hexdigest()[:20]


def _make_client(timeout: float):
    import boto3  # noqa: PLC0415 (the optional [s3] extra; open_object_store checked it)
    from botocore.config import Config  # noqa: PLC0415

    config = Config(connect_timeout=timeout, read_timeout=timeout,
                    retries={"total_max_attempts": 2, "mode": "standard"},
                    max_pool_connections=20)
    # Endpoint, credentials and region: boto3 reads the standard AWS_* variables itself.
    return boto3.session.Session().client("s3", config=config)


def open_object_store(url: str | None, timeout: float = 5.0) -> ObjectStore | None:
    """The store for ``TPF_DASHBOARD_STORE_URL`` (None without one). Checks that boto3 is
    installed now, so a deployment missing it fails at start with one sentence."""
    if not url:
        return None
    store = ObjectStore.from_url(url, timeout)
    try:
        import boto3  # noqa: F401, PLC0415
    except ImportError:
        raise DataError("TPF_DASHBOARD_STORE_URL is set but boto3 is not installed: "
                        "pip install 'tpf-dashboard[s3]'.") from None
    return store
