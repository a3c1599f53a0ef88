"""The view's single owner: the only writer of the ``view`` store and of the controls' values.

Everything that changes the view comes here: the page opening on a link (``url.search``), a
file received or fetched (``upload-result``, ``archive-opened``), aperture edits on the image
(``aperture-edits``) and the controls themselves. The rules are view/owner.py's; this adapts
them to Dash. When the change came from elsewhere than the controls (a link, a new file, a
value the file cannot use), the controls are set to show the new state; they are this
callback's inputs too, which Dash allows within one callback without a loop.
"""

from __future__ import annotations

from dash import Input, Output, State, ctx, no_update

from ..view import files
from ..view.controls import CONTROLS, control_values
from ..view.owner import ViewRecord, next_view
from .parts import header, mapping, notes


def _cause(triggered: set[str]) -> str:
    if not triggered or "url" in triggered:
        return "initial" if not triggered else "link"
    if triggered & {"upload-result", "archive-opened"}:
        return "opened"
    if "aperture-edits" in triggered:
        return "edits"
    if "view-request" in triggered:
        return "request"
    return "controls"


def register(app, store, settings) -> None:
    @app.callback(
        output={
            "view": Output("view", "data"),
            "controls": {name: Output(name, "value") for name in CONTROLS},
            "header": Output("header", "children"),
            "file_notes": Output("file-notes", "children"),
            "view_notes": Output("view-notes", "children"),
            "bits": Output("quality-bits", "options"),
            "backgrounds": Output("background", "options"),
            "panels": Output("diagnostic-panels", "options"),
        },
        inputs={
            "controls": {name: Input(name, "value") for name in CONTROLS},
            "link": Input("url", "search"),
            "upload": Input("upload-result", "data"),
            "archive": Input("archive-opened", "data"),
            "edits": Input("aperture-edits", "data"),
            "request": Input("view-request", "data"),
            "previous": State("view", "data"),
        },
    )
    def own_view(controls, link, upload, archive, edits, request, previous):
        triggered = {key.split(".")[0] for key in ctx.triggered_prop_ids}
        cause = _cause(triggered)
        opened = mapping(archive if "archive-opened" in triggered else upload)
        outcome = next_view(ViewRecord.from_store(previous), cause, controls=mapping(controls),
                            link=link if isinstance(link, str) else None,
                            opened=opened.get("file"), edits=mapping(edits),
                            request=mapping(request), open_file=store.get)
        state = outcome.record.state
        out = {"view": outcome.record.to_store() if outcome.changed else no_update,
               "controls": {name: no_update for name in CONTROLS},
               "header": no_update, "file_notes": no_update,
               "view_notes": notes(outcome.notices) if outcome.notices else
               ([] if outcome.file_changed else no_update),
               "bits": no_update, "backgrounds": no_update, "panels": no_update}
        if outcome.set_controls or outcome.file_changed:
            wanted = control_values(state)
            out["controls"] = {name: wanted[name] if wanted[name] != controls.get(name)
                               else no_update for name in CONTROLS}
        if outcome.file_changed:
            tpf = store.get(state.file)
            out.update(header=header(files.header_parts(tpf)),
                       file_notes=notes(files.notices(tpf)),
                       bits=files.quality_bit_options(tpf),
                       backgrounds=files.background_options(tpf),
                       panels=files.panel_options(tpf))
        return out

