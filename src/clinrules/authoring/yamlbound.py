"""Case-file YAML, bounded: at most `MAX_CASE_FILE_NODES` nodes, aliases counted as copies.

Stage: input, under `casefile.py`. PyYAML's safe loader never runs code, but
an alias (`*name`) shares the node it names, so a file of a kilobyte can
stand for a billion values (the "billion laughs"), and an alias inside the
value it names stands for an endless one. Building the values shares them
too; it is every later walk (a comparison, the patient's validation, a
message) that expands them. So the composed node graph is measured once,
each shared node sized once, before any value is built; merge keys
(`<<: *name`) are aliases like any other and keep working.
"""

from __future__ import annotations

import yaml

from clinrules.base.limits import MAX_CASE_FILE_NODES


class TooManyNodes(Exception):
    """More than `MAX_CASE_FILE_NODES` nodes were composed."""


class BoundedLoader(yaml.SafeLoader):
    """PyYAML's safe loader, refusing to compose more than `MAX_CASE_FILE_NODES` nodes."""

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self.composed = 0

    def compose_node(self, parent: yaml.Node | None, index: int) -> yaml.Node | None:
        self.composed += 1
        if self.composed > MAX_CASE_FILE_NODES:
            raise TooManyNodes
        return super().compose_node(parent, index)


def graph_problem(root: yaml.Node) -> str | None:
    """'cycle' when an alias lies inside what it names, 'size' when the YAML with every alias
    expanded would hold more than `MAX_CASE_FILE_NODES` nodes, else None.

    Composing shares an aliased node; building values shares it too, but every
    later walk (a comparison, the patient's validation, a message) expands it.
    One walk of the shared graph, each node sized once, bounds all of them.
    """
    size: dict[int, int] = {}
    open_: set[int] = set()  # the nodes on the path from the root: a child among them is a cycle
    stack: list[tuple[yaml.Node, bool]] = [(root, False)]
    while stack:
        node, closing = stack.pop()
        children = _children(node)
        if closing:
            open_.discard(id(node))
            size[id(node)] = 1 + sum(size[id(child)] for child in children)
            if size[id(node)] > MAX_CASE_FILE_NODES:
                return "size"
            continue
        if id(node) in size:
            continue
        if id(node) in open_:
            return "cycle"
        open_.add(id(node))
        stack.append((node, True))
        for child in children:
            if id(child) in open_:
                return "cycle"
            if id(child) not in size:
                stack.append((child, False))
    return None


def _children(node: yaml.Node) -> list[yaml.Node]:
    if isinstance(node, yaml.MappingNode):
        return [part for pair in node.value for part in pair]
    if isinstance(node, yaml.SequenceNode):
        return list(node.value)
    return []
