"""The ripple of a case laid out for drawing: one column per step from the root, one row per
measure within it, an edge from each measure to the one its slip arrives from."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from governance.models import ImpactedMeasure

COLUMN = 230
ROW = 76
NODE_WIDTH = 180
NODE_HEIGHT = 52
MARGIN = 12


@dataclass(frozen=True)
class Node:
    item: ImpactedMeasure
    x: int
    y: int


@dataclass(frozen=True)
class Link:
    x1: int
    y1: int
    x2: int
    y2: int
    label: str


@dataclass(frozen=True)
class Drawing:
    nodes: list[Node]
    links: list[Link]
    width: int
    height: int


def layout(items: list[ImpactedMeasure]) -> Drawing:
    columns: dict[int, list[ImpactedMeasure]] = defaultdict(list)
    for item in sorted(items, key=lambda i: (i.depth, i.measure.code)):
        columns[item.depth].append(item)
    nodes: dict[int, Node] = {}
    for depth, members in columns.items():
        for row, item in enumerate(members):
            nodes[item.measure_id] = Node(item, MARGIN + depth * COLUMN, MARGIN + row * ROW)
    links = []
    for node in nodes.values():
        source = nodes.get(node.item.via_id or 0)
        if source is None:
            continue
        links.append(
            Link(
                source.x + NODE_WIDTH,
                source.y + NODE_HEIGHT // 2,
                node.x,
                node.y + NODE_HEIGHT // 2,
                f"+{node.item.slip_days} d",
            )
        )
    width = MARGIN * 2 + (max(columns, default=0)) * COLUMN + NODE_WIDTH
    height = MARGIN * 2 + max((len(m) for m in columns.values()), default=1) * ROW
    return Drawing(list(nodes.values()), links, width, height)
