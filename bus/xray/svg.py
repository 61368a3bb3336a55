"""The service map as a standalone SVG document: one column per kind, edges labelled with traffic.

Hand-written SVG keeps the map free of a layout dependency and safe to inline in the console:
no scripts, no external references, every label escaped. Columns run left to right (producers,
buses, rules, targets, consumers, services); an edge is a curve from the right side of its source
to the left side of its target, labelled ``count`` or ``count / errors`` (red when errors > 0).
"""

from __future__ import annotations

from html import escape

from bus.xray.service_map import KINDS, MapEdge, MapNode, ServiceMap

__all__ = ["render_map_svg"]

_BOX_W, _BOX_H = 212, 44
_COL_GAP, _ROW_GAP = 84, 22
_MARGIN, _TITLE_H = 24, 34
_FILL = {
    "producer": "#e8f1fb",
    "bus": "#fdf0dd",
    "rule": "#eef6ea",
    "target": "#f3eefa",
    "consumer": "#e9f5f5",
    "service": "#f5f5f5",
}
_STROKE = {
    "producer": "#3b7dd8",
    "bus": "#d9822b",
    "rule": "#4f9a3a",
    "target": "#7e57c2",
    "consumer": "#2a8c8c",
    "service": "#666666",
}


def _short(text: str, limit: int = 27) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "\u2026"


def _layout(nodes: tuple[MapNode, ...], edges: tuple[MapEdge, ...]) -> dict[str, tuple[float, float]]:
    """Columns by kind; within a column, nodes in the order of their sources' rows (fewer crossings:
    a target sits next to its rule, its consumer next to it)."""
    columns = [k for k in KINDS if any(n.kind == k for n in nodes)]
    sources: dict[str, list[str]] = {}
    for edge in edges:
        sources.setdefault(edge.target, []).append(edge.source)
    rows: dict[str, int] = {}
    places: dict[str, tuple[float, float]] = {}
    for col, kind in enumerate(columns):
        members = [n.id for n in nodes if n.kind == kind]

        def rank(node_id: str) -> tuple[float, str]:
            placed = [rows[s] for s in sources.get(node_id, ()) if s in rows]
            return (sum(placed) / len(placed) if placed else float("inf"), node_id)

        for row, node_id in enumerate(sorted(members, key=rank)):
            rows[node_id] = row
            places[node_id] = (
                _MARGIN + col * (_BOX_W + _COL_GAP),
                _MARGIN + _TITLE_H + row * (_BOX_H + _ROW_GAP),
            )
    return places


def _node(node: MapNode, x: float, y: float) -> str:
    fill, stroke = _FILL.get(node.kind, "#ffffff"), _STROKE.get(node.kind, "#333333")
    label, detail = escape(_short(node.label)), escape(_short(node.detail or node.kind, 28))
    return (
        f'<g class="node {node.kind}" data-id="{escape(node.id)}">'
        f"<title>{escape(node.id)}</title>"
        f'<rect x="{x:.0f}" y="{y:.0f}" width="{_BOX_W}" height="{_BOX_H}" rx="6"'
        f' fill="{fill}" stroke="{stroke}"/>'
        f'<text x="{x + 10:.0f}" y="{y + 19:.0f}" font-size="13" font-weight="600">{label}</text>'
        f'<text x="{x + 10:.0f}" y="{y + 35:.0f}" font-size="11" fill="#555">{detail}</text>'
        "</g>"
    )


def _edge(edge: MapEdge, places: dict[str, tuple[float, float]]) -> str:
    (x1, y1), (x2, y2) = places[edge.source], places[edge.target]
    sx, sy = x1 + _BOX_W, y1 + _BOX_H / 2
    tx, ty = x2, y2 + _BOX_H / 2
    if tx <= sx:  # same column or backwards (a bus target's bus): loop around below
        tx, ty = x2 + _BOX_W / 2, y2 + _BOX_H
    bend = max(30.0, abs(tx - sx) / 2)
    path = f"M{sx:.0f},{sy:.0f} C{sx + bend:.0f},{sy:.0f} {tx - bend:.0f},{ty:.0f} {tx:.0f},{ty:.0f}"
    color = "#c62828" if edge.errors else "#8a8a8a"
    label = f"{edge.count} / {edge.errors} err" if edge.errors else str(edge.count)
    # the label three quarters along the curve: edges fanning out of one node keep theirs apart
    t = 0.75
    mx = (1 - t) ** 3 * sx + 3 * (1 - t) ** 2 * t * (sx + bend) + 3 * (1 - t) * t**2 * (tx - bend) + t**3 * tx
    my = (1 - t) ** 3 * sy + 3 * (1 - t) ** 2 * t * sy + 3 * (1 - t) * t**2 * ty + t**3 * ty - 4
    return (
        f'<g class="edge" data-source="{escape(edge.source)}" data-target="{escape(edge.target)}">'
        f'<path d="{path}" fill="none" stroke="{color}" stroke-width="1.5" marker-end="url(#arrow)"/>'
        f'<text x="{mx:.0f}" y="{my:.0f}" font-size="11" text-anchor="middle"'
        f' fill="{color}">{escape(label)}</text>'
        "</g>"
    )


def render_map_svg(service_map: ServiceMap, *, title: str | None = None) -> str:
    """The SVG document (UTF-8 text) of ``service_map``."""
    places = _layout(service_map.nodes, service_map.edges)
    width = max((x for x, _ in places.values()), default=0.0) + _BOX_W + _MARGIN
    height = max((y for _, y in places.values()), default=float(_MARGIN + _TITLE_H)) + _BOX_H + _MARGIN
    heading = escape(title or "choreo service map")
    parts = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width:.0f}" height="{height:.0f}"'
        f' viewBox="0 0 {width:.0f} {height:.0f}" font-family="Helvetica, Arial, sans-serif" role="img">',
        f"<title>{heading}</title>",
        '<defs><marker id="arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7"'
        ' orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="#8a8a8a"/></marker></defs>',
        f'<text x="{_MARGIN}" y="{_MARGIN + 6}" font-size="16" font-weight="700">{heading}</text>',
    ]
    parts += [_edge(e, places) for e in service_map.edges if e.source in places and e.target in places]
    parts += [_node(n, *places[n.id]) for n in service_map.nodes]
    parts.append("</svg>")
    return "\n".join(parts) + "\n"
