"""The Dash renderer's callback requests, built from a server's own ``/_dash-dependencies`` and
``/_dash-layout``: shared by the benchmarks (``step_server_measure.py``, ``load.py``).

Nothing here sends a request: :class:`Callback` fills in the JSON body the renderer POSTs to
``/_dash-update-component`` for one callback, with the layout's values for every input and
state that is not given.
"""

from __future__ import annotations

import json

UPDATE_PATH = "/_dash-update-component"


def split_output(output: str):
    """The ``outputs`` entry the renderer sends for a callback's ``output`` string."""
    if output.startswith("..") and output.endswith(".."):
        parts = output[2:-2].split("...")
        return [dict(zip(("id", "property"), p.rsplit(".", 1), strict=True))
                for p in parts]
    ident, prop = output.rsplit(".", 1)
    return {"id": ident, "property": prop}


def layout_props(layout) -> dict[str, dict]:
    """{component id: props} for every component with a string id in a /_dash-layout tree."""
    found: dict[str, dict] = {}

    def walk(node):
        if isinstance(node, list):
            for child in node:
                walk(child)
        elif isinstance(node, dict):
            props = node.get("props")
            if isinstance(props, dict):
                if isinstance(props.get("id"), str):
                    found[props["id"]] = props
                for value in props.values():
                    walk(value)
    walk(layout)
    return found


class Callback:
    """One callback's request template, filled in like dash-renderer fills it."""

    def __init__(self, spec: dict, props: dict[str, dict]):
        self.spec = spec
        self.output = spec["output"]
        self.outputs = split_output(self.output)
        self.inputs = spec["inputs"]
        self.state = spec.get("state", [])
        self.props = props

    def body(self, **values) -> dict:
        """``values`` maps 'id.property' of inputs or states to send instead of the layout's."""
        def filled(deps):
            return [{"id": d["id"], "property": d["property"],
                     "value": values.get(f"{d['id']}.{d['property']}",
                                         self.props.get(d["id"], {}).get(d["property"]))}
                    for d in deps]
        changed = [k for k in values if any(f"{d['id']}.{d['property']}" == k
                                              for d in self.inputs)]
        body = {"output": self.output, "outputs": self.outputs, "inputs": filled(self.inputs),
                "changedPropIds": changed, "parsedChangedPropsIds": changed}
        if self.state:
            body["state"] = filled(self.state)
        return body

    def payload(self, **values) -> bytes:
        """:meth:`body` as the bytes POSTed."""
        return json.dumps(self.body(**values)).encode()


def dependency_keys(deps) -> list[str]:
    return [f"{d['id']}.{d['property']}" for d in deps]


def find_callback(deps: list[dict], input_key: str, output_part: str | None = None) -> dict:
    """The first callback that ``input_key`` triggers (and whose output string contains
    ``output_part``); SystemExit if there is none."""
    for spec in deps:
        if input_key in dependency_keys(spec["inputs"]) and (output_part is None
                                                              or output_part in spec["output"]):
            return spec
    raise SystemExit(f"no callback with input {input_key} and output {output_part} in "
                     "/_dash-dependencies: has the layout changed?")


def callbacks_with_input(deps: list[dict], input_key: str) -> list[dict]:
    """Every callback (server or browser side) that ``input_key`` triggers."""
    return [spec for spec in deps if input_key in dependency_keys(spec["inputs"])]


def is_clientside(spec: dict) -> bool:
    return spec.get("clientside_function") is not None
