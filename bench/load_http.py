"""The load tool's HTTP/1.1 client: one simulated user's connection on asyncio streams, and the
body decoded as a browser would (the server compresses what Chromium accepts)."""

from __future__ import annotations

import asyncio
import contextlib
import zlib

# What Chromium sends: the server then compresses as it would for a browser.
ACCEPT_ENCODING = "gzip, deflate, br, zstd"


class HTTPError(Exception):
    pass


class Connection:
    """One user's connection: kept alive when the server allows it (gunicorn's sync workers do
    not, so each request then opens a new one, as a browser would have to)."""

    def __init__(self, host: str, port: int, timeout: float):
        self.host, self.port, self.timeout = host, port, timeout
        self.reader = self.writer = None

    async def close(self):
        if self.writer is not None:
            self.writer.close()
            with contextlib.suppress(Exception):
                await self.writer.wait_closed()
        self.reader = self.writer = None

    async def request(self, method: str, path: str, body: bytes = b"",
                      content_type: str = "application/json") -> tuple[int, dict, bytes]:
        return await asyncio.wait_for(self._request(method, path, body, content_type),
                                      self.timeout)

    async def _request(self, method, path, body, content_type):
        head = (f"{method} {path} HTTP/1.1\r\nHost: {self.host}:{self.port}\r\n"
                f"Accept: application/json\r\nAccept-Encoding: {ACCEPT_ENCODING}\r\n")
        if body or method == "POST":
            head += f"Content-Type: {content_type}\r\nContent-Length: {len(body)}\r\n"
        raw = head.encode("latin-1") + b"\r\n" + body
        for attempt in (0, 1):
            reused = self.writer is not None
            if not reused:
                self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
            try:
                self.writer.write(raw)
                line = await self.reader.readline()
                if not line:
                    raise ConnectionResetError("closed before answering")
            except (ConnectionError, OSError):
                await self.close()
                if reused and attempt == 0:
                    continue  # a kept-alive connection the server had closed: open a new one
                raise
            break
        parts = line.split(None, 2)
        if len(parts) < 2 or not parts[0].startswith(b"HTTP/"):
            await self.close()
            raise HTTPError(f"bad status line {line[:80]!r}")
        status = int(parts[1])
        headers = {}
        while True:
            line = await self.reader.readline()
            if line in (b"\r\n", b"\n", b""):
                break
            name, _, value = line.decode("latin-1").partition(":")
            headers[name.strip().lower()] = value.strip()
        if method == "HEAD" or status in (204, 304):
            data = b""
        elif "content-length" in headers:
            data = await self.reader.readexactly(int(headers["content-length"]))
        elif "chunked" in headers.get("transfer-encoding", "").lower():
            chunks = []
            while True:
                size = int((await self.reader.readline()).split(b";")[0], 16)
                if size == 0:
                    await self.reader.readline()
                    break
                chunks.append(await self.reader.readexactly(size))
                await self.reader.readline()
            data = b"".join(chunks)
        else:
            data = await self.reader.read()
            headers["connection"] = "close"
        if headers.get("connection", "").lower() == "close":
            await self.close()
        return status, headers, data


def decoded(headers: dict, data: bytes) -> bytes:
    """The body as the browser would use it (the server compresses what a browser accepts)."""
    encoding = headers.get("content-encoding", "").lower()
    if not encoding or encoding == "identity":
        return data
    if encoding == "gzip":
        return zlib.decompress(data, 16 + zlib.MAX_WBITS)
    if encoding == "deflate":
        return zlib.decompress(data)
    if encoding == "br":
        import brotli
        return brotli.decompress(data)
    if encoding == "zstd":
        from flask_compress.compat import compression
        return compression.zstd.decompress(data)
    raise HTTPError(f"unknown content-encoding {encoding}")
