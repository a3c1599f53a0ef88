"""Sharing and export controls: the view's link, light-curve files, a PNG of the view, movies.

Ids (public, see the README): ``url`` (the page address), ``share-link``, ``copy-link``,
``share-status``, ``export-csv``, ``export-fits`` and their ``download-*``, ``export-png``,
``export-status``,
``movie-start``, ``movie-end``, ``movie-fps``, ``movie-skip``, ``movie-format``,
``movie-outline``, ``export-movie``, ``cancel-movie``, ``movie-progress``,
``movie-progress-text``, ``movie-status``, ``download-movie``.
"""

from __future__ import annotations

from dash import dcc, html

from .view.exports import MOVIE_WINDOW

MOVIE_RATES = [2, 5, 10, 20, 25]  # frames per second; each is a whole number of GIF centiseconds
DEFAULT_MOVIE_RATE = 10


def _group(title: str, *children, help_text: str = "") -> html.Fieldset:
    return html.Fieldset(className="tool", children=[html.Legend(title, title=help_text),
                                                     *children])


def share_panel() -> html.Div:
    return html.Div(id="share-panel", className="share-panel tools", children=[
        # The address is written in the browser with history.replaceState (no reload, no
        # history entry per cadence, assets/view.js); this only reads a link when the page opens.
        _group(
            "Share",
            html.Div(className="buttons", children=[
                html.Button("Copy link", id="copy-link",
                            title="Copy a link that reopens this view: file, cadence, aperture, "
                                  "stretch, quality mask and image mode"),
                # assets/view.js keeps its href on the view on screen.
                html.A("link to this view", id="share-link", href="", className="share-link"),
            ]),
            html.Span(id="share-status", className="note", role="status"),
        ),
        _group(
            "Export",
            html.Div(className="buttons", children=[
                html.Button("Light curve CSV", id="export-csv"),
                html.Button("Light curve FITS", id="export-fits"),
                html.Button("PNG of the view", id="export-png",
                            title="Both graphs, labelled with the target, mission, cadence, UTC "
                                  "and stretch (made in the browser, assets/exports.js)"),
            ]),
            dcc.Download(id="download-csv"),
            dcc.Download(id="download-fits"),
            html.Div(id="export-status", className="note", role="status"),
            # The PNG is made in the browser (assets/exports.js), which says so here.
            html.Div(id="png-status", className="note", role="status"),
            help_text="The curve of the current aperture and background; cadences the quality "
                      "mask hides are left out when 'hide' is chosen, flagged otherwise."),
        _group(
            "Movie",
            html.Div(className="movie-range", children=[
                html.Label(["frames (0-based) ", dcc.Input(
                    id="movie-start", type="number", min=0, step=1, className="small-input",
                    placeholder="start")]),
                html.Label([" to ", dcc.Input(id="movie-end", type="number", min=0, step=1,
                                              className="small-input", placeholder="end")]),
                html.Label([" every ", dcc.Input(id="movie-skip", type="number", min=1, max=100,
                                                 step=1, value=1, className="small-input"),
                            " th frame"]),
            ]),
            html.Div(className="movie-options", children=[
                dcc.Dropdown(id="movie-fps", clearable=False, searchable=False,
                             value=DEFAULT_MOVIE_RATE, style={"width": "110px"},
                             options=[{"label": f"{r} fps", "value": r} for r in MOVIE_RATES]),
                dcc.RadioItems(id="movie-format", inline=True, value="gif", options=[
                    {"label": "GIF", "value": "gif"}, {"label": "MP4", "value": "mp4"}]),
                dcc.Checklist(id="movie-outline", inline=True, value=["outline"], options=[
                    {"label": "aperture outline", "value": "outline"}]),
            ]),
            html.Div(className="buttons", children=[
                html.Button("Make movie", id="export-movie"),
                html.Button("Cancel", id="cancel-movie", disabled=True),
            ]),
            html.Div(id="movie-busy", hidden=True, children=[
                html.Progress(id="movie-progress", max="100"),
                html.Span(id="movie-progress-text", className="note"),
            ]),
            html.Div(id="movie-status", className="note", role="status"),
            dcc.Download(id="download-movie"),
            help_text="Frames are 0-based, as in the readout; empty: "
                      f"{MOVIE_WINDOW} frames either side of the current one. The current "
                      "stretch, scale and colour map are used."),
    ])
