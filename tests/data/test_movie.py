"""Movie export: frame count, size and rate read back with imageio; pixels follow the stretch."""

from __future__ import annotations

import io

import imageio.v2 as imageio_v2
import imageio.v3 as iio
import numpy as np
import pytest

from dashboard.data import DataError
from dashboard.data.demo import demo_tpf
from dashboard.data.movie import (
    BAND_HEIGHT,
    MAX_FRAMES,
    MovieSpec,
    colour_index,
    movie_size,
    palette,
    write_movie,
)


@pytest.fixture(scope="module")
def tpf():
    return demo_tpf()


def spec_for(tpf, **kw) -> MovieSpec:
    options = dict(start=1200, stop=1239, step=2, fps=10, levels=tpf.levels(1, 95), scale="log",
                   outline=tpf.pipeline_mask)
    options.update(kw)
    return MovieSpec(**options)


def test_size_is_about_440_px_wide_in_whole_pixels():
    width, height, image_w, image_h = movie_size((15, 15))
    assert image_w == image_h == 15 * 29 and width % 16 == 0 and height % 16 == 0
    assert 430 <= width <= 460 and height >= image_h + BAND_HEIGHT
    assert movie_size((11, 11))[2] == 440
    wide, tall, image_w, image_h = movie_size((1287, 11))  # a long TESS stamp stays sane
    assert tall <= 880 + BAND_HEIGHT + 16 and image_w >= 1


def test_gif_frames_size_rate_and_stretch(tpf):
    spec = spec_for(tpf)
    data = write_movie(tpf, spec, "gif")
    frames = iio.imread(io.BytesIO(data), index=None, extension=".gif")
    width, height, image_w, image_h = movie_size(tpf.shape)
    assert frames.shape[:3] == (20, height, width)  # 1200..1239 every 2nd frame
    meta = iio.immeta(io.BytesIO(data), extension=".gif")
    assert meta["duration"] == 100  # ms per frame: 10 fps

    # The centre of each stamp pixel in the first frame has the colour map's colour at the
    # stretched value of that pixel (row 0 drawn at the bottom, as in the dashboard).
    colours = np.array(palette()).reshape(256, 3)
    expected = colours[colour_index(tpf.flux[1200], spec.levels, "log")]
    left = (width - image_w) // 2
    top = BAND_HEIGHT + (height - BAND_HEIGHT - image_h) // 2
    factor = image_w // tpf.shape[1]
    rows, columns = tpf.shape
    centres_y = top + image_h - (np.arange(rows) * factor + factor // 2) - 1
    centres_x = left + np.arange(columns) * factor + factor // 2
    shown = frames[0][np.ix_(centres_y, centres_x)][..., :3]
    np.testing.assert_array_equal(shown, expected)

    linear = write_movie(tpf, spec_for(tpf, scale="linear", stop=1200), "gif")
    first = iio.imread(io.BytesIO(linear), index=0, extension=".gif")
    assert not np.array_equal(first[np.ix_(centres_y, centres_x)][..., :3], shown)


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
    finally:
        reader.close()
    assert progress[-1] == (40, 40)


def test_bad_requests_say_what_is_wrong(tpf):
    with pytest.raises(DataError, match="at most"):
        write_movie(tpf, spec_for(tpf, start=0, stop=MAX_FRAMES + 5, step=1), "gif")
    with pytest.raises(DataError, match="no frame"):
        write_movie(tpf, spec_for(tpf, start=5000, stop=6000), "gif")
    with pytest.raises(DataError, match="format"):
        write_movie(tpf, spec_for(tpf), "avi")
