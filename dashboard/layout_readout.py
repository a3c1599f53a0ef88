"""The readout: the selected cadence in numbers, always in view under the transport.

Its fields are written by the browser (assets/view.js) from the frame batches, so numbers and
image always describe the same frame; the page arrives with the first frame's. Ids:
``readout-<field>`` for a value, ``readout-<field>-note`` for the small line under it, and
``readout-field-<field>`` for the field itself.
"""

from __future__ import annotations

from dash import html

# (field, label, note under the value). The frame is the 0-based index into the file;
# CADENCENO is the mission's own cadence number: both are named as such wherever shown.
FIELDS = (
    ("frame", "Frame", "0-based"),
    ("cadence", "CADENCENO", "mission cadence number"),
    ("time", "Time", "mission system"),
    ("utc", "UTC", "from TDB"),
    ("flux", "Flux", "pipeline aperture"),
    ("custom", "Your curve", ""),
    ("quality", "Quality", ""),
)
# The batch readout's strings (view/derive.readout) land in these fields, in this order.
BATCH_FIELDS = ("cadence", "time", "utc", "flux", "quality", "quality-note", "quality-class",
                "custom")


def readout_panel(values: list[str], frames: int, aperture_note: str, time_note: str,
                  custom_name: str = "") -> html.Div:
    """The readout showing frame 0: ``values`` as view/derive.readout gives them."""
    by_name = dict(zip(BATCH_FIELDS, values, strict=True))
    shown = {"frame": "0", "cadence": by_name["cadence"], "time": by_name["time"],
             "utc": by_name["utc"], "flux": by_name["flux"], "custom": by_name["custom"],
             "quality": by_name["quality"]}
    notes = {"frame": f"0-based, of {frames:,}", "flux": aperture_note, "time": time_note,
             "custom": custom_name, "quality": by_name["quality-note"]}
    fields = []
    for name, label, note in FIELDS:
        css = by_name["quality-class"] if name == "quality" else "field"
        fields.append(html.Div(
            id=f"readout-field-{name}", className=f"{css} readout-{name}",
            hidden=name == "custom" and not custom_name, children=[
                html.Span(label, className="label"),
                html.Span(shown[name], className="value", id=f"readout-{name}"),
                html.Span(notes.get(name) or note, className="note",
                          id=f"readout-{name}-note"),
            ]))
    return html.Div(id="readout", className="readout", role="status", children=fields)
