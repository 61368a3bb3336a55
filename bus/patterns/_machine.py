"""One matching machine for all patterns of a bus: cost follows the event, not the rule count.

Each sub-rule becomes a chain of nodes, one per field condition that needs a value, ordered
so that the most selective conditions (exact ``source``, ``detail-type``, other exact values)
come first; chains with equal beginnings share nodes. Matching walks from the root: at each
reached node, every field it branches on is looked up once in that node's ``FieldIndex`` with
the event's values at that path. Only nodes whose conditions so far all hold are visited,
so a rule whose ``source`` differs from the event's is never looked at.

Conditions that may be satisfied by absence (``exists: false``) are checked when a chain
ends, in Ruler's field-name order, against the array elements the other fields matched in:
that order decides what "absent" means inside arrays of objects, so we keep it.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from bus.patterns._compiler import Condition, SubRule
from bus.patterns._flatten import NO_MEMBERSHIP, Flattener, Leaves, Membership
from bus.patterns._index import FieldIndex
from bus.patterns._matchers import EqualsIgnoreCase, Exact, IpExact, Numeric, Prefix

_FIRST_FIELDS = {"source": 0, "detail-type": 1}


def _order(cond: Condition) -> tuple[int, int, int, str]:
    """Most selective first: source and detail-type when exact or prefix (nearly every rule
    names them, so the machine's first levels split on them), then exact values, then narrow
    string/number tests, then broad ones."""
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
    first = _FIRST_FIELDS.get(cond.path, 2)
    return (first if cls <= 1 else 2), cls, first, cond.path


class _Node:
    __slots__ = ("edges", "refs", "ends", "index_items", "leaf_names")

    def __init__(self) -> None:
        self.edges: dict[Condition, _Node] = {}
        self.refs = 0
        # (rule name, sub-rule if it has absence checks, the paths if those are all plain exists:false)
        self.ends: list[tuple[str, SubRule | None, tuple[str, ...] | None]] = []
        # (path, index) per field this node branches on; None when edges changed since the last build
        self.index_items: tuple[tuple[str, FieldIndex[_Node]], ...] | None = ()
        # for a chain end with no branches and no absence checks: the rule names, else None
        self.leaf_names: tuple[str, ...] | None = None

    def refresh(self) -> None:
        plain = not self.edges and all(r is None for _, r, _ in self.ends)
        self.leaf_names = tuple(n for n, _, _ in self.ends) if plain and self.ends else None

    def build_index(self) -> tuple[tuple[str, FieldIndex[_Node]], ...]:
        pairs: dict[str, list[tuple[Any, _Node]]] = {}
        for cond, child in self.edges.items():
            pairs.setdefault(cond.path, []).extend((m, child) for m in cond.matchers)
        self.index_items = tuple((path, FieldIndex(items)) for path, items in pairs.items())
        return self.index_items


def _consistent(merged: dict[int, int], memb: Membership) -> bool:
    for array_id, index in memb:
        seen = merged.get(array_id)
        if seen is not None and seen != index:
            return False
    return True


def _absence_holds(cond: Condition, leaves: Leaves, merged: dict[int, int]) -> bool:
    found = leaves.get(cond.path)
    if not found:
        return True
    return not any(_consistent(merged, memb) for _, _, memb in found)


def _residual_match(sub: SubRule, leaves: Leaves, chosen: dict[str, Membership]) -> bool:
    """Replay the sub-rule in field-name order, as Ruler does, honouring array membership."""
    conds = sub.conditions

    def walk(i: int, merged: dict[int, int]) -> bool:
        if i == len(conds):
            return True
        cond = conds[i]
        if not cond.absent_ok:
            memb = chosen.get(cond.path, NO_MEMBERSHIP)
            if not _consistent(merged, memb):
                return False
            return walk(i + 1, {**merged, **dict(memb)} if memb else merged)
        if _absence_holds(cond, leaves, merged) and walk(i + 1, merged):
            return True
        for value, _key, memb in leaves.get(cond.path, ()):
            if _consistent(merged, memb) and any(m.test(value) for m in cond.matchers):
                if walk(i + 1, {**merged, **dict(memb)} if memb else merged):
                    return True
        return False

    return walk(0, {})


class Machine:
    """All sub-rules of a pattern set, matched together."""

    def __init__(self) -> None:
        self.root = _Node()
        self._chains: dict[str, list[list[_Node]]] = {}
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
            positive = sorted((c for c in sub.conditions if not c.absent_ok), key=_order)
            residual = sub if any(c.absent_ok for c in sub.conditions) else None
            absent_paths = None
            if residual is not None and all(not c.matchers for c in sub.conditions if c.absent_ok):
                absent_paths = tuple(c.path for c in sub.conditions if c.absent_ok)
            node = self.root
            node.refs += 1
            chain = [node]
            for cond in positive:
                child = node.edges.get(cond)
                if child is None:
                    child = node.edges[cond] = _Node()
                    node.index_items = None
                child.refs += 1
                node = child
                chain.append(node)
            node.ends.append((name, residual, absent_paths))
            for n in chain:
                n.refresh()
            chains.append(chain)
            for cond in sub.conditions:
                self._path_refs[cond.path] = self._path_refs.get(cond.path, 0) + 1
                if self._path_refs[cond.path] == 1:
                    self._flattener = None
        self._chains[name] = chains

    def remove(self, name: str) -> None:
        chains = self._chains.pop(name, None)
        if chains is None:
            return
        for chain in chains:
            end = chain[-1]
            residual = next(r for n, r, _ in end.ends if n == name)
            end.ends = [e for e in end.ends if e[0] != name or e[1] is not residual]
            conds = residual.conditions if residual is not None else self._conditions_of(chain)
            for cond in conds:
                self._path_refs[cond.path] -= 1
                if not self._path_refs[cond.path]:
                    del self._path_refs[cond.path]
                    self._flattener = None
            for parent, child in zip(chain, chain[1:], strict=False):
                child.refs -= 1
                if not child.refs:
                    del parent.edges[next(c for c, n in parent.edges.items() if n is child)]
                    parent.index_items = None
            self.root.refs -= 1
            for n in chain:
                n.refresh()

    @staticmethod
    def _conditions_of(chain: list[_Node]) -> list[Condition]:
        return [next(c for c, n in parent.edges.items() if n is child) for parent, child in zip(chain, chain[1:])]

    def leaves(self, event: dict[str, Any]) -> Leaves:
        if self._flattener is None:
            self._flattener = Flattener(self._path_refs)
        return self._flattener.leaves(event)

    def matching(self, event: dict[str, Any]) -> set[str]:
        leaves = self.leaves(event)
        matched: set[str] = set()
        # Fast walk: while every field so far came from outside arrays of objects (the common
        # case), a node is reached at most once and needs no bookkeeping. A branch taken on a
        # leaf inside an array of objects moves to `members`, walked with consistency checks.
        stack = [self.root]
        seen: set[_Node] = set()
        members: list[tuple[_Node, Chosen]] = []
        hits: list[_Node] = []
        while stack:
            node = stack.pop()
            if node.ends:
                for name, residual, absent_paths in node.ends:
                    if residual is None:
                        matched.add(name)
                    elif absent_paths is not None:
                        # only `exists: false` to check, no array element chosen: absent anywhere
                        if not any(path in leaves for path in absent_paths):
                            matched.add(name)
                    elif _residual_match(residual, leaves, {}):
                        matched.add(name)
            index = node.index_items
            if index is None:
                index = node.build_index()
            for path, findex in index:
                found = leaves.get(path)
                if found is None:
                    continue
                for value, key, memb in found:
                    got: Sequence[_Node]
                    if findex.exact_only:
                        exact_hit = findex.exact.get(key)
                        if exact_hit is None:
                            continue
                        got = exact_hit
                    else:
                        hits.clear()
                        findex.probe(value, key, hits)
                        got = hits
                    if memb:
                        # first field from an array element: nothing to conflict with yet
                        for child in got:
                            if child.leaf_names is not None:
                                matched.update(child.leaf_names)
                            else:
                                members.append((child, ((path, memb),)))
                        continue
                    for child in got:
                        names = child.leaf_names
                        if names is not None:
                            matched.update(names)
                        elif child not in seen:
                            seen.add(child)
                            stack.append(child)
        while members:
            self._step_members(members, leaves, matched)
        return matched

    def _step_members(self, members: list[tuple[_Node, Chosen]], leaves: Leaves, matched: set[str]) -> None:
        """One step of the walk for branches whose fields came from array elements."""
        node, chosen = members.pop()
        for name, residual, _ in node.ends:
            if residual is None or _residual_match(residual, leaves, dict(chosen)):
                matched.add(name)
        index = node.index_items
        if index is None:
            index = node.build_index()
        hits: list[_Node] = []
        for path, findex in index:
            for value, key, memb in leaves.get(path, ()):
                if memb and _conflicts(chosen, memb):
                    continue
                hits.clear()
                findex.lookup(value, key, hits)
                extended = (*chosen, (path, memb)) if memb else chosen
                members.extend((child, extended) for child in dict.fromkeys(hits))


Chosen = tuple[tuple[str, Membership], ...]


def _conflicts(chosen: Chosen, memb: Membership) -> bool:
    """True when ``memb`` puts an array at a different element than an earlier field did."""
    for _, earlier in chosen:
        for array_id, index in earlier:
            for other_id, other_index in memb:
                if array_id == other_id and index != other_index:
                    return True
    return False
