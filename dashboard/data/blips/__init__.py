"""The blip report: is a blip in a target pixel file real, or instrumental?

``explain(tpf, frame)`` ticks through the checklist (flagged, cosmic_ray, moving_object,
pointing, background, scattered_light, rolling_band, off_target, on_target, noise) for one
cadence or a frame range; ``find_blips(tpf)`` finds the events of the aperture light curve and
names each; ``centroid_test`` asks whether a repeating dip is on the target. No Dash here.
"""

from .centroid_test import CentroidTest, centroid_test, centroid_test_frames
from .events import find_blips
from .explain import N_REFERENCE, explain
from .report import (
    KINDS,
    PLATE_SCALE,
    BlipEvent,
    BlipList,
    BlipReport,
    CentroidOffset,
    Hypothesis,
    Skipped,
    plate_scale,
)
from .source import as_tpf

__all__ = [
    "KINDS", "N_REFERENCE", "PLATE_SCALE", "BlipEvent", "BlipList", "BlipReport",
    "CentroidOffset", "CentroidTest", "Hypothesis", "Skipped", "as_tpf", "centroid_test",
    "centroid_test_frames", "explain", "find_blips", "plate_scale",
]
