"""The blip report's cards, the blips list's rows and the centroid test's result, as the page
shows them (from the view layer's plain dicts, dashboard/view/blips.py). Every verdict shows the
numbers behind it; every evidence button names the frame it goes to."""

from __future__ import annotations

from dash import dcc, html

from ..view.blips import KIND_NAMES

SHOWN_SCORE = 0.05  # hypotheses scoring less are listed as checked and ruled out
MAX_FRAME_BUTTONS = 8


def _number(value) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return f"{value:.4g}" if abs(value) < 1e5 else f"{value:,.0f}"
    return str(value)


def numbers_table(numbers: dict) -> html.Table:
    rows = [html.Tr([html.Td(key.replace("_", " ")), html.Td(_number(value))])
            for key, value in numbers.items()
            if not isinstance(value, (dict, list)) and key != "factors"]
    factors = numbers.get("factors") or {}
    if factors:
        rows.append(html.Tr([html.Td("score = product of"), html.Td(" × ".join(
            f"{name} {value:.2f}" for name, value in factors.items()))]))
    return html.Table(className="blip-numbers", children=html.Tbody(rows))


def frame_button(frame: int, kind: str, image: str | None = None, label: str | None = None):
    """A button that shows ``frame`` (and with ``image`` that kind of image)."""
    return html.Button(label or f"frame {frame}", className="blip-go", n_clicks=0,
                       id={"type": "blip-go", "frame": int(frame), "image": image or "",
                           "kind": kind}, title=f"Show frame {frame}")


def hypothesis_card(h: dict, frame: int) -> html.Div:
    kind = h["kind"]
    frames = [int(f) for f in h.get("frames") or []]
    buttons = [frame_button(f, kind) for f in frames[:MAX_FRAME_BUTTONS]]
    if len(frames) > MAX_FRAME_BUTTONS:
        buttons.append(html.Span(f"… {len(frames)} frames in all", className="note"))
    show = frames[0] if frames else frame
    buttons.append(frame_button(show, kind, "difference",
                                f"difference image at frame {show}"))
    return html.Div(className=f"blip-card blip-{kind}", id={"type": "blip-card", "kind": kind},
                    children=[
        html.Div(className="blip-head", children=[
            html.Span(KIND_NAMES.get(kind, kind), className="blip-kind"),
            html.Span(f"{h['score']:.0%}", className="blip-score",
                      title="comparable across the checks: the product of the factors below"),
            html.Progress(value=str(round(100 * h["score"])), max="100",
                          className="blip-bar"),
        ]),
        html.Div(h["summary"], className="blip-summary"),
        html.Details([html.Summary("the numbers"), numbers_table(h.get("numbers") or {})]),
        html.Div(buttons, className="buttons"),
    ])


def report_view(report: dict) -> list:
    """The report of one cadence: the likely explanations first, then what was ruled out and
    what could not be checked."""
    frame = report["frame"]
    head = f"Frame {frame} (0-based) · CADENCENO {report['cadenceno']}"
    if report.get("last") not in (None, report.get("first")):
        head = f"Frames {report['first']}–{report['last']} (0-based)"
    likely = [h for h in report["hypotheses"] if h["score"] >= SHOWN_SCORE]
    ruled_out = [h for h in report["hypotheses"] if h["score"] < SHOWN_SCORE]
    out = [html.Div(head, className="blip-frame", id="blip-frame")]
    out += [hypothesis_card(h, frame) for h in likely] or [
        html.Div("Nothing on this cadence stands out from its neighbours.", className="note")]
    if ruled_out:
        names = ", ".join(KIND_NAMES.get(h["kind"], h["kind"]) for h in ruled_out)
        out.append(html.Details([
            html.Summary(f"Ruled out: {names}"),
            *[html.Div([html.B(KIND_NAMES.get(h["kind"], h["kind"]) + ": "), h["summary"]],
                       className="blip-ruled-out") for h in ruled_out]]))
    for skipped in report.get("skipped") or []:
        out.append(html.Div(f"Not checked: {skipped['check']} ({skipped['reason']})",
                            className="note blip-skipped"))
    return out


def events_view(listing: dict) -> list:
    events = listing.get("events") or []
    numbers = listing.get("numbers") or {}
    out = [html.Div(
        f"{len(events)} event{'s' if len(events) != 1 else ''} of the aperture light curve "
        f"over {numbers.get('threshold', 5):g}σ (robust scatter {_number(numbers.get('sigma', 0))}"
        " e⁻/s after a running median), most significant first:", className="note")]
    rows = []
    for i, event in enumerate(events):
        rows.append(html.Tr(className="blip-event", children=[
            html.Td(dcc.Checklist(id={"type": "blip-pick", "index": i}, value=[], options=[
                {"label": "", "value": f"{event['first']}-{event['last']}"}])),
            html.Td(f"{event['first']}–{event['last']}"),
            html.Td(f"{event['significance']:.1f}σ {event['direction']}"),
            html.Td(KIND_NAMES.get(event.get("kind"), event.get("kind") or "?")),
            html.Td(event.get("summary", ""), className="blip-event-summary"),
            html.Td(frame_button(event["peak"], event.get("kind") or "", None,
                                 f"go to {event['peak']}")),
        ]))
    if rows:
        out.append(html.Table(className="blip-events", children=[
            html.Thead(html.Tr([html.Th(h) for h in
                                ("pick", "frames", "significance", "verdict", "why", "")])),
            html.Tbody(rows)]))
    for skipped in listing.get("skipped") or []:
        out.append(html.Div(f"Not searched: {skipped['check']} ({skipped['reason']})",
                            className="note"))
    return out


def centroid_view(result: dict) -> list:
    out = [html.Div(result["summary"], className="blip-summary", id="centroid-summary")]
    rows = []
    for name in ("all", "odd", "even"):
        part = result.get(name)
        if part:
            rows.append(html.Tr([html.Td(name), html.Td(str(part["n_events"])),
                                 html.Td(f"{part['offset_px']:.3f} px"),
                                 html.Td(f"{part['offset_arcsec']:.2f}″"),
                                 html.Td(f"{part['significance']:.1f}σ"),
                                 html.Td(f"{part['depth']:,.1f} ± {part['depth_sigma']:,.1f}")]))
    if rows:
        out.append(html.Table(className="blip-numbers", children=[
            html.Thead(html.Tr([html.Th(h) for h in ("events", "n", "offset", "offset",
                                                     "significance", "depth e⁻/s")])),
            html.Tbody(rows)]))
    for skipped in result.get("skipped") or []:
        out.append(html.Div(f"Not checked: {skipped['check']} ({skipped['reason']})",
                            className="note"))
    return out
