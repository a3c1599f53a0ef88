"""The page's callback graph, as the renderer reads it (/_dash-dependencies): no loops.

A loop (a callback whose output reaches, through other callbacks, one of its own inputs) is
one Dash resolves only when nothing else is in flight: it then assumes one member is ready.
With another callback in flight the loop's callbacks wait for each other, and when that other
callback is superseded rather than completed nothing wakes them: seen as a user, an upload made
while frame 311's blip list was being drawn showed the new file's header and nothing else
(every callback fed by the new view stayed "requested"; 1 try in ~25). The loop was
view -> aperture edits -> view.
"""

from __future__ import annotations

import json
from collections import defaultdict


def _component(raw: str):
    """A comparable id: a string id as it is; a pattern id by its fixed keys and values."""
    if raw.startswith("{"):
        fields = json.loads(raw)
        return tuple(sorted((k, v) for k, v in fields.items() if not isinstance(v, list)))
    return raw


def _props(spec: str) -> list[tuple]:
    """'id.prop' or '..id.prop...id2.prop2..' as (id, prop) pairs (a callback with no
    outputs is named by a bare hash; an allow_duplicate output ends in '@hash')."""
    parts = spec[2:-2].split("...") if spec.startswith("..") else [spec]
    parts = [part.split("@", 1)[0] for part in parts if "." in part]
    return [(_component(part.rsplit(".", 1)[0]), part.rsplit(".", 1)[1]) for part in parts]


def _graph(dependencies: list[dict]):
    callbacks = []
    for dep in dependencies:
        outputs = set(_props(dep["output"]))
        inputs = {(_component(json.dumps(i["id"], sort_keys=True, separators=(",", ":"))
                              if isinstance(i["id"], dict) else i["id"]), i["property"])
                  for i in dep["inputs"]}
        callbacks.append((dep["output"], inputs, outputs))
    listeners = defaultdict(list)
    for index, (_, inputs, _) in enumerate(callbacks):
        for prop in inputs:
            listeners[prop].append(index)
    return callbacks, listeners


def _loops(dependencies: list[dict]) -> list[str]:
    callbacks, listeners = _graph(dependencies)
    loops = []
    for name, inputs, outputs in callbacks:
        # Everything this callback's outputs lead to through *other* callbacks.
        reached, todo = set(), list(outputs)
        while todo:
            prop = todo.pop()
            for index in listeners.get(prop, ()):
                other_name, _, other_outputs = callbacks[index]
                if other_name == name:
                    continue
                for out in other_outputs - reached:
                    reached.add(out)
                    todo.append(out)
        back = (inputs - outputs) & reached
        if back:
            loops.append(f"{name[:60]} <- {sorted(map(str, back))}")
    return loops


def test_no_callback_feeds_its_own_inputs(dependencies):
    assert _loops(dependencies) == []


def test_the_check_finds_a_loop_through_another_callback():
    """The loop this file is about, as the renderer described it before the fix."""
    dependencies = [
        {"output": "..view.data...header.children..",
         "inputs": [{"id": "aperture-edits", "property": "data"},
                    {"id": "upload-result", "property": "data"}]},
        {"output": "aperture-edits.data",
         "inputs": [{"id": "pixels", "property": "clickData"},
                    {"id": "view", "property": "data"}]},
        {"output": "pixels.figure", "inputs": [{"id": "view", "property": "data"}]},
    ]
    assert len(_loops(dependencies)) == 2
    dependencies[1]["inputs"].pop()
    assert _loops(dependencies) == []
