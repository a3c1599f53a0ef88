"""Movies of a cadence range: GIF (Pillow) or MP4 (imageio + imageio-ffmpeg).

Each frame is the stamp drawn with the view's stretch, scale and colour map, enlarged with
nearest-neighbour sampling to about 440 px wide (what K2flix writes, a size that shares well),
with the target, cadence number and UTC time written in a band above it and, optionally, the
aperture outlined in red.

Frames are palette images: the colour map takes 248 palette entries and a few more are kept for
text, outline and missing pixels, so every frame of a GIF shares one exact palette (no dithering,
small files) and a pixel's colour is exactly the colour map's at its stretched value.
"""

from __future__ import annotations

import io
import os
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import numpy as np
from PIL import Image, ImageDraw, ImageFont
from plotly.colors import sample_colorscale, unlabel_rgb

from ..figures.stretch import COLORMAPS, SCALES
from .errors import DataError
from .tpf import TargetPixelFile

TARGET_WIDTH = 440
MAX_HEIGHT = 880
MAX_FRAMES = 1000
BAND_HEIGHT = 40  # caption band above the image
LEVELS = 248  # palette entries for the colour map; the rest are the colours below
BLACK, WHITE, RED, GREY = LEVELS, LEVELS + 1, LEVELS + 2, LEVELS + 3
_EXTRA_COLOURS = [(0, 0, 0), (255, 255, 255), (230, 30, 30), (128, 128, 128)]
FORMATS = ("gif", "mp4")


@dataclass
class MovieSpec:
    """What to draw: frames ``start``..``stop`` (0-based, inclusive) taking every ``step``-th."""

    start: int
    stop: int
    step: int = 1
    fps: float = 10
    levels: tuple[float, float] = (0.0, 1.0)  # flux at the low and high end of the stretch
    scale: str = "log"
    colormap: str = "viridis"  # a key of figures.stretch.COLORMAPS
    outline: np.ndarray | None = None  # bool (rows, columns) aperture, or None for no outline

    def frames(self, n_frames: int) -> np.ndarray:
        if n_frames < 1:
            raise DataError("The file has no frames to make a movie of.")
        start, stop = sorted((int(self.start), int(self.stop)))
        start, stop = max(0, start), min(n_frames - 1, stop)
        if start > stop:
            raise DataError(f"The range holds no frame of this file (it has {n_frames}).")
        frames = np.arange(start, stop + 1, max(1, int(self.step)))
        if frames.size > MAX_FRAMES:
            raise DataError(f"That is {frames.size} frames; a movie takes at most {MAX_FRAMES}. "
                            "Choose a shorter range or skip more frames.")
        return frames


def palette(colormap: str = "viridis") -> list[int]:
    """The flat 768-entry RGB palette of every movie frame."""
    colours = [tuple(int(round(float(v))) for v in unlabel_rgb(c))
               for c in sample_colorscale(COLORMAPS[colormap], np.linspace(0, 1, LEVELS).tolist())]
    colours += _EXTRA_COLOURS
    colours += [(0, 0, 0)] * (256 - len(colours))
    return [v for rgb in colours for v in rgb]


def colour_index(values: np.ndarray, levels: tuple[float, float], scale: str) -> np.ndarray:
    """Palette index (uint8) of each flux value: normalised between ``levels``, stretched by
    ``scale`` (the dashboard's own stretches) and sampled from the colour map; NaN is grey."""
    low, high = levels
    values = np.asarray(values, dtype=np.float64)
    normalised = np.clip((values - low) / (high - low), 0.0, 1.0)
    stretched = SCALES[scale](np.nan_to_num(normalised))  # clipped to [0, 1]
    index = np.rint(stretched * (LEVELS - 1)).astype(np.uint8)
    index[~np.isfinite(values)] = GREY
    return index


def movie_size(shape: tuple[int, int]) -> tuple[int, int, int, int]:
    """(width, height) of the whole frame and (width, height) of the image in it, for a stamp
    of ``shape`` (rows, columns). Whole-pixel enlargement when it fits; multiples of 16 overall
    (what H.264 encoders want)."""
    rows, columns = shape
    factor = TARGET_WIDTH / columns
    if rows * factor > MAX_HEIGHT:
        factor = MAX_HEIGHT / rows
    if factor >= 1:
        factor = max(1, int(factor))
    image_w, image_h = max(1, round(columns * factor)), max(1, round(rows * factor))
    width = _multiple_of_16(max(image_w, 224))  # wide enough for the caption
    height = _multiple_of_16(image_h + BAND_HEIGHT)
    return width, height, image_w, image_h


def render_frames(tpf: TargetPixelFile, spec: MovieSpec) -> Iterator[Image.Image]:
    """The movie's frames as palette images, in order."""
    width, height, image_w, image_h = movie_size(tpf.shape)
    left = (width - image_w) // 2
    top = BAND_HEIGHT + (height - BAND_HEIGHT - image_h) // 2
    colours = palette(spec.colormap)
    font = _font(14)
    edges = _outline_segments(spec.outline, tpf.shape, image_w, image_h, left, top)
    for frame in spec.frames(tpf.n_cadences):
        index = colour_index(tpf.flux[frame], spec.levels, spec.scale)[::-1]  # row 0 at bottom
        stamp = Image.fromarray(np.ascontiguousarray(index), "P")
        stamp = stamp.resize((image_w, image_h), Image.Resampling.NEAREST)
        canvas = Image.new("P", (width, height), BLACK)
        canvas.putpalette(colours)
        canvas.paste(stamp, (left, top))
        draw = ImageDraw.Draw(canvas)
        for segment in edges:
            draw.line(segment, fill=RED, width=2)
        draw.text((6, 3), f"{tpf.target} · cadence {tpf.cadenceno[frame]}", fill=WHITE,
                  font=font)
        draw.text((6, 21), f"{tpf.utc(frame) or 'no time'} UTC", fill=WHITE, font=font)
        yield canvas


def write_movie(tpf: TargetPixelFile, spec: MovieSpec, fmt: str,
                progress: Callable[[int, int], None] | None = None) -> bytes:
    """The encoded movie (``fmt`` 'gif' or 'mp4'). ``progress(done, total)`` is called as
    frames are drawn."""
    if fmt not in FORMATS:
        raise DataError(f"Unknown movie format {fmt!r}; choose GIF or MP4.")
    if not spec.fps or not 0.1 <= float(spec.fps) <= 60:
        raise DataError("Choose a frame rate between 0.1 and 60 frames per second.")
    total = spec.frames(tpf.n_cadences).size

    def frames():
        for done, image in enumerate(render_frames(tpf, spec), start=1):
            if progress is not None:
                progress(done, total)
            yield image
    return _gif(frames(), spec.fps) if fmt == "gif" else _mp4(frames(), spec.fps)


def _gif(frames: Iterator[Image.Image], fps: float) -> bytes:
    images = list(frames)
    buffer = io.BytesIO()
    # GIF stores delays in hundredths of a second: 10, 20, 25, 50 fps are exact.
    images[0].save(buffer, format="GIF", save_all=True, append_images=images[1:],
                   duration=int(round(1000 / float(fps))), loop=0, optimize=False,
                   disposal=1)
    return buffer.getvalue()


def _mp4(frames: Iterator[Image.Image], fps: float) -> bytes:
    import imageio.v2 as imageio  # noqa: PLC0415 (ffmpeg is only needed for MP4)

    handle, path = tempfile.mkstemp(suffix=".mp4")
    os.close(handle)
    try:
        with imageio.get_writer(path, format="FFMPEG", mode="I", fps=float(fps),
                                codec="libx264", pixelformat="yuv420p", quality=8,
                                macro_block_size=16, ffmpeg_log_level="error") as writer:
            for image in frames:
                writer.append_data(np.asarray(image.convert("RGB")))
        with open(path, "rb") as movie:
            return movie.read()
    finally:
        os.unlink(path)


def _outline_segments(mask, shape, image_w, image_h, left, top) -> list:
    """Line segments along the edges between aperture pixels and the rest, in canvas pixels."""
    if mask is None or not np.asarray(mask).any():
        return []
    mask = np.asarray(mask, dtype=bool)
    rows, columns = shape
    xs = left + np.rint(np.arange(columns + 1) * image_w / columns).astype(int)
    # Row 0 is at the bottom, as in the dashboard's heatmap.
    ys = top + image_h - np.rint(np.arange(rows + 1) * image_h / rows).astype(int)
    padded = np.pad(mask, 1)
    segments = []
    for i, j in np.argwhere(mask):
        if not padded[i, j + 1]:  # next to row i - 1
            segments.append([(xs[j], ys[i]), (xs[j + 1], ys[i])])
        if not padded[i + 2, j + 1]:  # next to row i + 1
            segments.append([(xs[j], ys[i + 1]), (xs[j + 1], ys[i + 1])])
        if not padded[i + 1, j]:  # left
            segments.append([(xs[j], ys[i]), (xs[j], ys[i + 1])])
        if not padded[i + 1, j + 2]:  # right
            segments.append([(xs[j + 1], ys[i]), (xs[j + 1], ys[i + 1])])
    return segments


def _font(size: int):
    try:
        return ImageFont.load_default(size=size)
    except TypeError:  # Pillow < 10.1 has only the fixed bitmap font
        return ImageFont.load_default()


def _multiple_of_16(value: int) -> int:
    return -(-int(value) // 16) * 16
