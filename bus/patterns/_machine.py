"""One matching machine for all patterns of a bus: the cost follows the event, not the rule count.

Each sub-rule becomes a chain of nodes, one per condition that needs a value, ordered so that
the most selective conditions come first (``source`` and ``detail-type`` when exact, then other
exact values, then narrow tests, then broad ones such as anything-but). Chains that begin alike
share nodes. Matching walks from the root: at each reached node, each field it branches on is
looked up once, per event value, in that node's ``FieldIndex``. A node is reached only when all
conditions before it hold, so a rule whose ``source`` differs from the event's costs nothing.

Conditions that absence can satisfy (``exists: false``) are checked where a chain ends, in
Ruler's field-name order, against the array elements the other fields matched in: inside
arrays of objects that order decides what "absent" means, so we keep it.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, Final

from bus.patterns._compiler import Condition, SubRule
from bus.patterns._flatten import NO_MEMBERSHIP, Flattener, Leaves, Membership
from bus.patterns._index import FieldIndex
from bus.patterns._matchers import EqualsIgnoreCase, Exact, IpExact, Numeric, Prefix

Chosen = tuple[tuple[str, Membership], ...]  # (path, membership) of fields taken from array elements
End = tuple[str, SubRule | None, tuple[str, ...] | None]

_LEADING_FIELDS: Final = {"source": 0, "detail-type": 1}


def chain_order(cond: Condition) -> tuple[int, int, int, str]:
    """Sort key putting the most selective conditions of a sub-rule first."""
    kinds = {type(m) for m in cond.matchers}
    if kinds <= {Exact, IpExact}:
        cls = 0
    elif kinds <= {Exact, IpExact, Prefix, EqualsIgnoreCase} or all(
        isinstance(m, Numeric) and m.lo == m.hi for m in cond.matchers
    ):
        cls = 1
    elif any(k.__name__.startswith(("AnythingBut", "Exists")) for k in kinds):
        cls = 3
    else:
        cls = 2
    lead = _LEADING_FIELDS.get(cond.path, 2)
    return (lead if cls <= 1 else 2), cls, lead, cond.path


class Node:
    def __init__(self) -> None:
        self.edges: dict[Condition, Node] = {}
        self.refs = 0
        # rule name; its sub-rule when it has absence checks; their paths when all are plain exists:false
        self.ends: list[End] = []
        # (path, index) per field this node branches on; None when edges changed since the last build
        self.index: tuple[tuple[str, FieldIndex], ...] | None = ()
        # a chain end with no branches and no absence checks: its rule names, reported without a visit
        self.leaf_names: tuple[str, ...] | None = None

    def refresh(self) -> None:
        plain = bool(self.ends) and not self.edges and all(e[1] is None for e in self.ends)
        self.leaf_names = tuple(e[0] for e in self.ends) if plain else None

    def build_index(self) -> tuple[tuple[str, FieldIndex], ...]:
        pairs: dict[str, list[tuple[Any, Node]]] = {}
        for cond, child in self.edges.items():
            pairs.setdefault(cond.path, []).extend((m, child) for m in cond.matchers)
        index = tuple((path, FieldIndex(items)) for path, items in pairs.items())
        self.index = index
        return index


def _consistent(merged: dict[int, int], memb: Membership) -> bool:
    for array_id, element in memb:
        seen = merged.get(array_id)
        if seen is not None and seen != element:
            return False
    return True


def _conflicts(chosen: Chosen, memb: Membership) -> bool:
    """True when ``memb`` puts an array at a different element than an earlier field did."""
    for _, earlier in chosen:
        for array_id, element in earlier:
            for other_id, other_element in memb:
                if array_id == other_id and element != other_element:
                    return True
    return False


def residual_match(sub: SubRule, leaves: Leaves, chosen: Chosen) -> bool:
    """Replay a sub-rule in field-name order, as Ruler does, honouring array membership."""
    taken = dict(chosen)
    conds = sub.conditions

    def walk(i: int, merged: dict[int, int]) -> bool:
        if i == len(conds):
            return True
        cond = conds[i]
        if not cond.absent_ok:
            memb = taken.get(cond.path, NO_MEMBERSHIP)
            if not _consistent(merged, memb):
                return False
            return walk(i + 1, {**merged, **dict(memb)} if memb else merged)
        found = leaves.get(cond.path, [])
        if not any(_consistent(merged, m) for _, _, m in found) and walk(i + 1, merged):
            return True  # absent, as far as the array elements chosen so far can see
        for value, _, memb in found:
            if (
                _consistent(merged, memb)
                and any(m.test(value) for m in cond.matchers)
                and walk(i + 1, {**merged, **dict(memb)} if memb else merged)
            ):
                return True
        return False

    return walk(0, {})


class Machine:
    """All sub-rules of a pattern set, matched together."""

    def __init__(self) -> None:
        self.root = Node()
        self._chains: dict[str, list[tuple[list[Node], list[Condition]]]] = {}
        self._path_refs: dict[str, int] = {}
        self._flattener: Flattener | None = Flattener(())

    def __contains__(self, name: str) -> bool:
        return name in self._chains

    def __len__(self) -> int:
        return len(self._chains)

    def add(self, name: str, subrules: Iterable[SubRule]) -> None:
        if name in self._chains:
            self.remove(name)
        chains = []
        for sub in subrules:
            positive = sorted((c for c in sub.conditions if not c.absent_ok), key=chain_order)
            residual = sub if len(positive) < len(sub.conditions) else None
            absent_paths = None
            if residual is not None and all(not c.matchers for c in sub.conditions if c.absent_ok):
                absent_paths = tuple(c.path for c in sub.conditions if c.absent_ok)
            node = self.root
            node.refs += 1
            nodes = [node]
            for cond in positive:
                child = node.edges.get(cond)
                if child is None:
                    child = node.edges[cond] = Node()
                    node.index = None
                    node.refresh()
                child.refs += 1
                node = child
                nodes.append(node)
            node.ends.append((name, residual, absent_paths))
            node.refresh()
            chains.append((nodes, positive))
            for cond in sub.conditions:
                self._path_refs[cond.path] = self._path_refs.get(cond.path, 0) + 1
                if self._path_refs[cond.path] == 1:
                    self._flattener = None
        self._chains[name] = chains

    def remove(self, name: str) -> None:
        for nodes, positive in self._chains.pop(name, []):
            end = nodes[-1]
            gone = next(e for e in end.ends if e[0] == name)
            end.ends.remove(gone)
            end.refresh()
            residual = gone[1]
            for cond in residual.conditions if residual is not None else positive:
                self._path_refs[cond.path] -= 1
                if not self._path_refs[cond.path]:
                    del self._path_refs[cond.path]
                    self._flattener = None
            self.root.refs -= 1
            for parent, child, cond in zip(nodes, nodes[1:], positive, strict=False):
                child.refs -= 1
                if not child.refs:
                    del parent.edges[cond]
                    parent.index = None
                    parent.refresh()

    def prepare(self) -> None:
        """Build every index that changes left pending (normally built on first use)."""
        stack = [self.root]
        while stack:
            node = stack.pop()
            if node.index is None:
                node.build_index()
            stack.extend(node.edges.values())
        if self._flattener is None:
            self._flattener = Flattener(self._path_refs)

    def leaves(self, event: dict[str, Any]) -> Leaves:
        if self._flattener is None:
            self._flattener = Flattener(self._path_refs)
        return self._flattener.leaves(event)

    def matching(self, event: dict[str, Any]) -> set[str]:
        leaves = self.leaves(event)
        matched: set[str] = set()
        # Fast walk: while every field so far came from outside arrays of objects (the common
        # case) a node is reached at most once and needs no bookkeeping. A branch taken on a
        # value inside an array of objects continues in `members`, with consistency checks.
        stack: list[Node] = [self.root]
        seen: set[Node] = set()
        members: list[tuple[Node, Chosen]] = []
        hits: list[Node] = []
        while stack:
            node = stack.pop()
            if node.ends:
                _collect_ends(node, leaves, (), matched)
            index = node.index
            if index is None:
                index = node.build_index()
            for path, findex in index:
                found = leaves.get(path)
                if found is None:
                    continue
                exact = findex.exact
                single = findex.single
                for value, key, memb in found:
                    if exact is not None:
                        exact_hit = exact.get(key)
                        if exact_hit is None:
                            continue
                        hits[:] = exact_hit
                    else:
                        hits.clear()
                        if single is not None:
                            single.probe(value, key, hits)
                        else:
                            findex.lookup(value, key, hits)
                    for child in hits:
                        names = child.leaf_names
                        if names is not None:
                            # a first field from an array element has nothing to conflict with yet
                            matched.update(names)
                        elif memb:
                            members.append((child, ((path, memb),)))
                        elif child not in seen:
                            seen.add(child)
                            stack.append(child)
        while members:
            self._member_step(members, leaves, matched)
        return matched

    @staticmethod
    def _member_step(members: list[tuple[Node, Chosen]], leaves: Leaves, matched: set[str]) -> None:
        """One step of the walk for branches whose fields came from array elements."""
        node, chosen = members.pop()
        if node.ends:
            _collect_ends(node, leaves, chosen, matched)
        index = node.index
        if index is None:
            index = node.build_index()
        hits: list[Node] = []
        for path, findex in index:
            for value, key, memb in leaves.get(path, ()):
                if memb and _conflicts(chosen, memb):
                    continue
                hits.clear()
                findex.lookup(value, key, hits)
                extended = (*chosen, (path, memb)) if memb else chosen
                members.extend((child, extended) for child in dict.fromkeys(hits))


def _collect_ends(node: Node, leaves: Leaves, chosen: Chosen, matched: set[str]) -> None:
    for name, residual, absent_paths in node.ends:
        if residual is None:
            matched.add(name)
        elif absent_paths is not None and not chosen:
            # only plain exists:false to check, no array element chosen: absent means absent anywhere
            if not any(path in leaves for path in absent_paths):
                matched.add(name)
        elif residual_match(residual, leaves, chosen):
            matched.add(name)
