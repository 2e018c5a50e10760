"""`OrdinalEnum`: an enum whose members are ordered as they are declared.

A model marks an enum as ordinal by subclassing this class; the checker then
allows `<`, `>=` and `between` on its fields (`radiating_pain >= below_knee`)
and refuses them on any other enum.
"""

from __future__ import annotations

from enum import StrEnum


class OrdinalEnum(StrEnum):
    """A string enum ordered by declaration: the first member is the lowest."""

    @property
    def rank(self) -> int:
        """0 for the first member, 1 for the next, ..."""
        return list(type(self)).index(self)

    def __lt__(self, other: object) -> bool:
        if not isinstance(other, type(self)):
            return NotImplemented
        return self.rank < other.rank

    def __le__(self, other: object) -> bool:
        if not isinstance(other, type(self)):
            return NotImplemented
        return self.rank <= other.rank

    def __gt__(self, other: object) -> bool:
        if not isinstance(other, type(self)):
            return NotImplemented
        return self.rank > other.rank

    def __ge__(self, other: object) -> bool:
        if not isinstance(other, type(self)):
            return NotImplemented
        return self.rank >= other.rank
