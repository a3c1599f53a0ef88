"""What the page holds when it opens: every figure, store and text already drawn for its first
view, so the first paint waits for no callback (the layout is built from this)."""

from __future__ import annotations

from dataclasses import dataclass, field

from . import derive, drawing, files, sky
from .controls import control_values
from .frame_source import frame_source
from .owner import ViewRecord


@dataclass
class Opening:
    record: ViewRecord
    lightcurve: dict
    pixels: dict
    frame_source: dict | None
    header: list[tuple[str, str]]
    file_notes: list[str]
    analysis_notes: list[str]
    readout: list[str]
    aperture_note: str
    time_note: str
    frames: int
    controls: dict
    options: dict  # control id -> options the file allows
    drawn: dict = field(default_factory=dict)  # what each drawing callback drew (its memory)
    custom: dict | None = None
    catalogue: dict | None = None  # your own catalogue, given on the command line


def opening(store, record: ViewRecord, custom: dict | None = None,
            catalogue: dict | None = None) -> Opening:
    state = record.state
    tpf = store.get(state.file)
    masks = derive.apertures(tpf, state)
    flux = derive.curve_or_nan(store, state.file, state, masks)
    own = None
    if custom:
        try:
            from .custom import on_view

            own = on_view(store, custom, state.file, flux, state.normalise).per_frame
        except Exception:  # noqa: BLE001 (its notice says why)
            own = None
    return Opening(
        record=record,
        lightcurve=drawing.curve_figure(store, state, custom),
        pixels=drawing.pixels_figure(store, state, 0, hover=sky.hover(store, state.file)),
        frame_source=frame_source(store, state, custom),
        header=files.header_parts(tpf),
        file_notes=files.notices(tpf),
        analysis_notes=drawing.custom_notices(store, state, custom, tpf),
        readout=derive.readout(tpf, 0, flux, custom=own),
        aperture_note=derive.aperture_note(state, masks),
        time_note=time_note(tpf),
        frames=tpf.n_cadences,
        controls=control_values(state),
        options={"quality-bits": files.quality_bit_options(tpf),
                 "background": files.background_options(tpf),
                 "diagnostic-panels": files.panel_options(tpf),
                 "sky-sources": sky.options(tpf, catalogue)},
        drawn={"lightcurve": {**drawing.key(state, drawing.CURVE_FIELDS),
                              "custom": custom or {}},
               "pixels": {"file": state.file, "frame": 0,
                          **drawing.key(state, drawing.LOOK_FIELDS + drawing.OUTLINE_FIELDS),
                          "marks": [{}, {}], "context": [{}, {}]}},
        custom=custom, catalogue=catalogue,
    )


def time_note(tpf) -> str:
    """What the mission time is: its system, as a sum a person can check."""
    offset = tpf.bjd_reference
    return f"{tpf.time_system} = BJD − {offset:.0f}" if offset == int(offset) else \
        f"{tpf.time_system} = BJD − {offset}"
