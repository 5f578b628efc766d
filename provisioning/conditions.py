"""A condition on a resource kept apart from its values, so that the WHERE clause compiled
for one lookup can serve the next lookup of the same shape with its own values
(first_pages.first_page, for Users and Groups). SCIM filters are translated to conditions
(provisioning.scim.filters).

A Condition is `build(values)`, a Q. Its leaves are made by `leaf(builder, *static,
values=...)`, where `builder` is a module-level function that builds its Q from the
static arguments and the values alone, and takes no decision on a value: those are
taken before, by whoever makes the leaf, and show in which builder and static arguments
it chose (an empty operand is no leaf of the comparison's builder, but the never-true
one's). The `shape` names the builders, their static arguments and how they combine;
with the values' types it is the condition's `key`. Two conditions of one key build the
same SQL around their values, which first_page checks before it relies on it, by
compiling a key's first condition again with other values. A condition made from an
arbitrary Q (`fixed`) has no shape, and is compiled every time.
"""

from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass
from typing import Any

from django.db.models import Q

Build = Callable[[Sequence[Any]], Q]


@dataclass(frozen=True, eq=False)
class Condition:
    shape: Hashable | None
    values: tuple[Any, ...]
    build: Build

    def q(self) -> Q:
        return self.build(self.values)

    @classmethod
    def fixed(cls, q: Q) -> "Condition":
        """A condition with no shape: built as it is, never compiled for another."""
        return cls(None, (), lambda _values: q)

    def key(self) -> Hashable | None:
        """What must be equal for two conditions to compile to the same SQL: the shape,
        and the types of the values (the database adapts each type its own way)."""
        if self.shape is None:
            return None
        return self.shape, tuple(type(value) for value in self.values)

    def __and__(self, other: "Condition") -> "Condition":
        return _combine("and", self, other, lambda left, right: left & right)

    def __or__(self, other: "Condition") -> "Condition":
        return _combine("or", self, other, lambda left, right: left | right)

    def __invert__(self) -> "Condition":
        build = self.build
        shape = None if self.shape is None else ("not", self.shape)
        return Condition(shape, self.values, lambda values: ~build(values))


def leaf(builder: Callable[..., Q], *static: Hashable, values: Sequence[Any] = ()) -> Condition:
    """`builder(*static, *values)` as a condition. `builder` must be a pure function of
    its arguments (see the module's docstring), and `static` hashable."""
    return Condition(
        (builder, static, len(values)), tuple(values), lambda given: builder(*static, *given)
    )


def wrap(wrapper: Callable[..., Q], inner: Condition, *static: Hashable) -> Condition:
    """`wrapper(*static, inner's Q)` as a condition, `wrapper` pure as a leaf's builder:
    an EXISTS over the rows of another table, say."""
    build = inner.build
    shape = None if inner.shape is None else (wrapper, static, inner.shape)
    return Condition(shape, inner.values, lambda values: wrapper(*static, build(values)))


def _combine(name: str, left: Condition, right: Condition, join: Callable[[Q, Q], Q]) -> Condition:
    split = len(left.values)
    left_build, right_build = left.build, right.build
    shape = None if left.shape is None or right.shape is None else (name, left.shape, right.shape)
    return Condition(
        shape,
        left.values + right.values,
        lambda values: join(left_build(values[:split]), right_build(values[split:])),
    )


def field_lookup(path: str, value: Any) -> Q:
    """A leaf's builder: Q(path=value), for a field ("pk") or a lookup ("modified__gt")."""
    return Q(**{path: value})
