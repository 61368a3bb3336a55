"""Turn an event into the leaves a pattern set can look at, and nothing more.

Only paths some pattern names are visited: a 2 KB event with a long free-text field costs
the same as a small one when no pattern reads that field. Each leaf remembers which element
of which array of objects it came from (its *membership*), so that fields of one pattern can
be required to come from the same array element, as AWS requires ("array consistency").
Scalars directly inside an array need no membership: no other field can share their element.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

from bus.patterns._matchers import value_key

Membership = tuple[tuple[int, int], ...]  # (array id, element index) pairs, outermost first
Leaves = dict[str, list[tuple[Any, Any, Membership]]]  # path -> (value, value_key(value), membership)

NO_MEMBERSHIP: Membership = ()


class Flattener:
    """Collects leaves for a fixed set of paths; rebuilt when the pattern set changes."""

    __slots__ = ("paths", "prefixes")

    def __init__(self, paths: Collection[str]) -> None:
        self.paths = frozenset(paths)
        prefixes: set[str] = set()
        for path in self.paths:
            parts = path.split(".")
            for i in range(1, len(parts)):
                prefixes.add(".".join(parts[:i]))
        self.prefixes = frozenset(prefixes)

    def leaves(self, event: dict[str, Any]) -> Leaves:
        out: Leaves = {}
        self._object(event, "", NO_MEMBERSHIP, out, [0])
        return out

    def _object(self, obj: dict[str, Any], base: str, memb: Membership, out: Leaves, ids: list[int]) -> None:
        paths = self.paths
        prefixes = self.prefixes
        for key, value in obj.items():
            path = base + key
            if type(value) is dict:
                if path in prefixes:
                    self._object(value, path + ".", memb, out, ids)
            elif type(value) is list:
                if path in paths or path in prefixes:
                    self._array(value, path, memb, out, ids)
            elif path in paths:
                bucket = out.get(path)
                if bucket is None:
                    out[path] = [(value, value if type(value) is str else value_key(value), memb)]
                else:
                    bucket.append((value, value if type(value) is str else value_key(value), memb))

    def _array(self, items: list[Any], path: str, memb: Membership, out: Leaves, ids: list[int]) -> None:
        ids[0] += 1
        array_id = ids[0]
        for index, item in enumerate(items):
            if type(item) is dict:
                if path in self.prefixes:
                    self._object(item, path + ".", (*memb, (array_id, index)), out, ids)
            elif type(item) is list:
                self._array(item, path, (*memb, (array_id, index)), out, ids)
            elif path in self.paths:
                bucket = out.get(path)
                if bucket is None:
                    out[path] = [(item, item if type(item) is str else value_key(item), memb)]
                else:
                    bucket.append((item, item if type(item) is str else value_key(item), memb))
