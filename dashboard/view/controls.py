"""Which control on the page shows which field of the view, and how their values convert.

The layout builds each control from :func:`control_values` of the defaults, the view's owner
(callbacks/view.py) reads them back with :func:`state_values` and, when a link or a new file
sets the view, writes them from :func:`control_values` of the new state. Ids are the page's
public ids (README).
"""

from __future__ import annotations

from .state import ViewState

# component id -> the ViewState field(s) it shows; every control's property is ``value``.
CONTROLS = {
    "stretch": ("low", "high"),
    "scale": ("scale",),
    "colormap": ("cmap",),
    "difference-colormap": ("dcmap",),
    "quality-mask": ("quality",),
    "quality-bits": ("bits",),
    "masked-display": ("masked",),
    "skip-masked": ("skip",),
    "image-mode": ("image",),
    "difference-n": ("n",),
    "background": ("background",),
    "diagnostic-panels": ("panels",),
    "normalise": ("normalise",),
}
_CHECKED = {"skip-masked": "skip", "normalise": "on"}  # a one-box checklist's value when ticked


def control_values(state: ViewState) -> dict:
    """The ``value`` of each control showing ``state``."""
    values = {}
    for control, names in CONTROLS.items():
        if control == "stretch":
            values[control] = [state.low, state.high]
        elif control in _CHECKED:
            values[control] = [_CHECKED[control]] if getattr(state, names[0]) else []
        elif names[0] in ("bits", "panels"):
            values[control] = list(getattr(state, names[0]))
        else:
            values[control] = getattr(state, names[0])
    return values


def state_values(values: dict) -> dict:
    """Raw ViewState fields (for :func:`dashboard.view.state.parse`) from the controls'
    values; a control that sent nothing (None) is left out, so its field takes the default."""
    raw = {}
    for control, names in CONTROLS.items():
        value = values.get(control)
        if value is None:
            continue
        if control == "stretch":
            if isinstance(value, (list, tuple)) and len(value) == 2:
                raw["low"], raw["high"] = value
        elif control in _CHECKED:
            raw[names[0]] = isinstance(value, (list, tuple)) and _CHECKED[control] in value
        else:
            raw[names[0]] = value
    return raw
