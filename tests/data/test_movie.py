"""Movie export: frame count, size and rate read back with imageio; every frame's pixels have the
colour of the file's flux under the chosen stretch, computed here from plotly's Viridis stops
with numpy (not from the movie module's palette)."""

from __future__ import annotations

import dataclasses
import io

import imageio.v2 as imageio_v2
import imageio.v3 as iio
import numpy as np
import pytest
from plotly.colors import hex_to_rgb, sequential

from dashboard.data import DataError, open_tpf
from dashboard.data.demo import demo_tpf
from dashboard.data.movie import (
    BAND_HEIGHT,
    MAX_FRAMES,
    MovieSpec,
    movie_size,
    write_movie,
)
from tests.synthetic import tpf_bytes

# Viridis as plotly defines it (ten stops, linear in RGB between them), the dashboard's map.
VIRIDIS_STOPS = np.array([hex_to_rgb(c) for c in sequential.Viridis], dtype=np.float64)
# A frame's colours may differ from the exact map by half a palette step (248 entries) at
# Viridis's steepest channel (~1.3 of 255) plus rounding: a wrong map or stretch is off by tens.
GIF_TOLERANCE = 2
MP4_TOLERANCE = 8  # H.264 (yuv420p) on flat 29-px blocks: ~4 measured


@pytest.fixture(scope="module")
def tpf():
    return demo_tpf()


def percentile_levels(tpf) -> tuple[float, float]:
    finite = tpf.flux[np.isfinite(tpf.flux)]
    low, high = np.percentile(finite, [1, 95])
    return float(low), float(high)


def spec_for(tpf, **kw) -> MovieSpec:
    options = dict(start=1200, stop=1239, step=2, fps=10, levels=percentile_levels(tpf),
                   scale="log", outline=tpf.pipeline_mask)
    options.update(kw)
    return MovieSpec(**options)


def reference_colours(flux: np.ndarray, levels, scale: str) -> np.ndarray:
    """RGB of each pixel: flux normalised between ``levels``, stretched (astropy's LogStretch
    with a = 1000, written out), then Viridis interpolated between its stops."""
    low, high = levels
    x = np.clip((np.asarray(flux, dtype=np.float64) - low) / (high - low), 0, 1)
    y = {"linear": x, "log": np.log(1000 * x + 1) / np.log(1001)}[scale]
    positions = np.linspace(0, 1, len(VIRIDIS_STOPS))
    return np.stack([np.interp(y, positions, VIRIDIS_STOPS[:, k]) for k in range(3)], axis=-1)


def pixel_centres(shape):
    """Canvas (y, x) of the centre of each stamp pixel, row 0 drawn at the bottom."""
    width, height, image_w, image_h = movie_size(shape)
    left = (width - image_w) // 2
    top = BAND_HEIGHT + (height - BAND_HEIGHT - image_h) // 2
    factor = image_w // shape[1]
    rows, columns = shape
    return (top + image_h - (np.arange(rows) * factor + factor // 2) - 1,
            left + np.arange(columns) * factor + factor // 2)


def shown_colours(image: np.ndarray, shape) -> np.ndarray:
    return image[np.ix_(*pixel_centres(shape))][..., :3].astype(np.float64)


def test_size_is_about_440_px_wide_in_whole_pixels():
    width, height, image_w, image_h = movie_size((15, 15))
    assert image_w == image_h == 15 * 29 and width % 16 == 0 and height % 16 == 0
    assert 430 <= width <= 460 and height >= image_h + BAND_HEIGHT
    assert movie_size((11, 11))[2] == 440
    wide, tall, image_w, image_h = movie_size((1287, 11))  # a long TESS stamp stays sane
    assert tall <= 880 + BAND_HEIGHT + 16 and image_w >= 1


@pytest.mark.parametrize("scale", ["log", "linear"])
def test_gif_frames_size_rate_and_colours(tpf, scale):
    """20 frames (1200..1239, every 2nd) at 10 fps, and the centre of every stamp pixel of every
    frame has the reference colour of that frame's flux."""
    spec = spec_for(tpf, scale=scale)
    data = write_movie(tpf, spec, "gif")
    frames = iio.imread(io.BytesIO(data), index=None, extension=".gif")
    width, height, *_ = movie_size(tpf.shape)
    assert frames.shape[:3] == (20, height, width)
    meta = iio.immeta(io.BytesIO(data), extension=".gif")
    assert meta["duration"] == 100  # ms per frame: 10 fps
    for image, frame in zip(frames, range(1200, 1240, 2), strict=True):
        expected = reference_colours(tpf.flux[frame], spec.levels, scale)
        np.testing.assert_allclose(shown_colours(image, tpf.shape), expected, rtol=0,
                                   atol=GIF_TOLERANCE, err_msg=f"frame {frame}")
    assert len(np.unique(shown_colours(frames[0], tpf.shape).reshape(-1, 3), axis=0)) > 20


def test_gif_shows_missing_pixels_grey():
    """A NaN pixel is drawn mid grey, its neighbours in the colour map."""
    tpf = open_tpf(tpf_bytes(n_cadences=4, shape=(5, 6), seed=8).data)
    flux = tpf.flux.copy()
    flux[0, 2, 3] = np.nan
    tpf = dataclasses.replace(tpf, flux=flux)
    levels = (900.0, 1100.0)
    data = write_movie(tpf, MovieSpec(start=0, stop=0, levels=levels, scale="linear"), "gif")
    shown = shown_colours(iio.imread(io.BytesIO(data), index=0, extension=".gif"), tpf.shape)
    assert shown[2, 3].tolist() == [128, 128, 128]
    expected = reference_colours(flux[0], levels, "linear")
    finite = np.isfinite(flux[0])
    np.testing.assert_allclose(shown[finite], expected[finite], rtol=0, atol=GIF_TOLERANCE)


def test_mp4_frames_size_and_rate(tpf, tmp_path):
    progress = []
    data = write_movie(tpf, spec_for(tpf, fps=20, step=1), "mp4",
                       progress=lambda done, total: progress.append((done, total)))
    path = tmp_path / "movie.mp4"
    path.write_bytes(data)
    reader = imageio_v2.get_reader(str(path), format="FFMPEG")
    try:
        meta = reader.get_meta_data()
        width, height, *_ = movie_size(tpf.shape)
        assert meta["fps"] == 20 and tuple(meta["size"]) == (width, height)
        assert reader.count_frames() == 40
        images = list(reader.iter_data())
    finally:
        reader.close()
    assert len(images) == 40
    levels = percentile_levels(tpf)
    for image, frame in zip(images, range(1200, 1240), strict=True):
        np.testing.assert_allclose(shown_colours(image, tpf.shape),
                                   reference_colours(tpf.flux[frame], levels, "log"), rtol=0,
                                   atol=MP4_TOLERANCE, err_msg=f"frame {frame}")
    assert progress[-1] == (40, 40)


def test_bad_requests_say_what_is_wrong(tpf):
    with pytest.raises(DataError, match="at most"):
        write_movie(tpf, spec_for(tpf, start=0, stop=MAX_FRAMES + 5, step=1), "gif")
    with pytest.raises(DataError, match="no frame"):
        write_movie(tpf, spec_for(tpf, start=5000, stop=6000), "gif")
    with pytest.raises(DataError, match="format"):
        write_movie(tpf, spec_for(tpf), "avi")
