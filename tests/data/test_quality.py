"""QUALITY flag tables: names per mission, and the bitmasks lightkurve documents."""

from __future__ import annotations

import numpy as np
import pytest

from dashboard.data import KEPLER, TESS, DataError, flags_for

# lightkurve's KeplerQualityFlags / TessQualityFlags values, written out as the docs give them.
KEPLER_DEFAULT = 1 | 2 | 4 | 8 | 32 | 256 | 16384 | 65536 | 1048576
KEPLER_HARD = KEPLER_DEFAULT | 1024 | 128 | 8192 | 524288
KEPLER_HARDEST = 2096639
TESS_DEFAULT = 1 | 2 | 4 | 8 | 32 | 128
TESS_HARD = TESS_DEFAULT | 64 | 1024 | 2048 | 4096
TESS_HARDEST = 65535


def test_documented_bitmask_values():
    """default/hard/hardest hide exactly the cadences lightkurve hides."""
    assert KEPLER_DEFAULT == 1130799 and TESS_DEFAULT == 175
    assert KEPLER.bitmask("default") == 1130799
    assert KEPLER.bitmask("hard") == KEPLER_HARD == 1664431
    assert KEPLER.bitmask("hardest") == KEPLER_HARDEST
    assert TESS.bitmask("default") == 175
    assert TESS.bitmask("hard") == TESS_HARD == 7407
    assert TESS.bitmask("hardest") == TESS_HARDEST
    assert KEPLER.bitmask("none") == TESS.bitmask("none") == 0


def test_bitmask_names_are_case_insensitive_and_ints_pass_through():
    """'Default' works like 'default'; an integer is used as the bitmask itself."""
    assert KEPLER.bitmask("DEFAULT") == 1130799
    assert TESS.bitmask(np.int64(12)) == 12
    assert KEPLER.bitmask(3) == 3


def test_bad_mask_name_is_data_error():
    """An unknown mask name is refused with the valid choices listed."""
    with pytest.raises(DataError, match="default") as info:
        KEPLER.bitmask("strict")
    assert "strict" in str(info.value)
    with pytest.raises(ValueError):
        TESS.flagged(np.zeros(3), "everything")


@pytest.mark.parametrize("value, kepler, tess", [
    (16, ["Zero crossing"], ["Argabrightening"]),
    (128, ["Cosmic ray in optimal aperture"], ["Manual exclude"]),
    (64, ["Argabrightening"], ["Cosmic ray in optimal aperture"]),
    (1 | 32, ["Attitude tweak", "Desaturation event"], ["Attitude tweak", "Desaturation event"]),
    (0, [], []),
])
def test_decode_differs_by_mission(value, kepler, tess):
    """The same QUALITY value reads differently for Kepler and TESS, lowest bit first."""
    assert KEPLER.decode(value) == kepler
    assert TESS.decode(value) == tess


def test_decode_thruster_firing():
    """K2's thruster firing bits have names."""
    assert KEPLER.decode(1048576 | 524288) == ["Possible thruster firing", "Thruster firing"]


def test_unknown_bits_are_reported_not_dropped():
    """Bits a table does not define are shown as 'Unknown bits 0x..', after the known ones."""
    assert KEPLER.decode(512) == ["Unknown bits 0x200"]
    assert KEPLER.decode(1 | 512) == ["Attitude tweak", "Unknown bits 0x200"]
    assert TESS.decode(65536 | 4) == ["Coarse point", "Unknown bits 0x10000"]
    assert KEPLER.decode(1 << 22) == ["Unknown bits 0x400000"]


def test_every_defined_bit_has_one_name():
    """Each single bit of 'hardest' decodes to exactly one known name."""
    for flags, hardest in ((KEPLER, KEPLER_HARDEST), (TESS, TESS_HARDEST)):
        for bit in range(24):
            value = 1 << bit
            names = flags.decode(value)
            if value & hardest:
                assert len(names) == 1 and not names[0].startswith("Unknown"), value
            else:
                assert names == [f"Unknown bits 0x{value:x}"]


def test_flagged_on_arrays():
    """flagged() marks exactly the cadences with a bit of the chosen mask set."""
    quality = np.array([0, 1, 16, 128, 64, 1048576, 524288, 512, 1 | 16], dtype=np.int32)
    np.testing.assert_array_equal(KEPLER.flagged(quality),
                                  [0, 1, 0, 0, 0, 1, 0, 0, 1])
    np.testing.assert_array_equal(KEPLER.flagged(quality, "hard"),
                                  [0, 1, 0, 1, 0, 1, 1, 0, 1])
    np.testing.assert_array_equal(KEPLER.flagged(quality, "hardest"),
                                  [0, 1, 1, 1, 1, 1, 1, 0, 1])
    np.testing.assert_array_equal(TESS.flagged(quality),
                                  [0, 1, 0, 1, 0, 0, 0, 0, 1])
    np.testing.assert_array_equal(TESS.flagged(quality, "none"), np.zeros(9, dtype=bool))
    np.testing.assert_array_equal(TESS.flagged(quality, 16), quality & 16 != 0)
    assert KEPLER.flagged(quality).dtype == bool


def test_flagged_accepts_big_endian_arrays():
    """QUALITY straight from astropy is big-endian; flagging it still works."""
    quality = np.array([0, 128, 32], dtype=">i4")
    np.testing.assert_array_equal(TESS.flagged(quality), [False, True, True])


@pytest.mark.parametrize("mission, table", [("Kepler", KEPLER), ("K2", KEPLER),
                                            ("TESS", TESS), ("tess", TESS)])
def test_flags_for_mission(mission, table):
    """Kepler and K2 share a table; TESS has its own."""
    assert flags_for(mission) is table
