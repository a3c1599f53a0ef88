"""The page's callback graph, as the renderer reads it (/_dash-dependencies): no loops.

A loop (a callback whose output reaches, through other callbacks, one of its own inputs) is
one Dash resolves only when nothing else is in flight: it then assumes one member is ready.
With another callback in flight the loop's callbacks wait for each other, and when that other
callback is superseded rather than completed nothing wakes them: seen as a user, an upload made
while frame 311's blip list was being drawn showed the new file's header and nothing else
(every callback fed by the new view stayed "requested"; 3 tries in 70). The loop was
view -> aperture edits -> view.
"""

from __future__ import annotations

import json
from collections import defaultdict

from .test_http import split_outputs


def _prop(id_, prop: str) -> tuple:
    """A comparable (id, property): a pattern id (a dict, or its JSON in an output's name) by
    its fixed keys and values, so ``{"type": "x", "index": ALL}`` meets its MATCH outputs."""
    if isinstance(id_, str) and id_.startswith("{"):
        id_ = json.loads(id_)
    if isinstance(id_, dict):
        id_ = tuple(sorted((k, v) for k, v in id_.items() if not isinstance(v, list)))
    return id_, prop.split("@", 1)[0]  # an allow_duplicate output ends in '@hash'


def _graph(dependencies: list[dict]):
    """Each callback as (name, input props, output props), and the callbacks each prop feeds."""
    callbacks = []
    for dep in dependencies:
        outputs = set() if dep.get("no_output") else {
            _prop(o["id"], o["property"]) for o in split_outputs(dep["output"])}
        inputs = {_prop(i["id"], i["property"]) for i in dep["inputs"]}
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
    """The loop this file is about, in a page of three callbacks: found from both of its
    members, and gone once the edits callback no longer listens to the view."""
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
