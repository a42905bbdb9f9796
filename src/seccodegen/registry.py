"""Name -> implementation registries (tuning methods, readers, analyzers, prompt styles, ...).

Modelled on PEFT's ``register_peft_method``: each implementation registers itself under a
unique name at import time; registering a name twice raises instead of silently replacing.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Generic, TypeVar

from seccodegen.errors import SeccodegenError

T = TypeVar("T")


class DuplicateRegistrationError(ValueError):
    """Raised when a name is registered twice in the same registry."""


class UnknownNameError(SeccodegenError):
    """Raised when a lookup names nothing registered; the message lists the valid names."""


class Registry(Generic[T]):
    """A named collection of implementations of one kind.

    >>> analyzers = Registry("analyzer")
    >>> @analyzers.register("gcc")
    ... class Gcc: ...
    >>> analyzers.get("gcc") is Gcc
    True
    """

    def __init__(self, kind: str) -> None:
        self.kind = kind
        self._items: dict[str, T] = {}

    def register(self, name: str, obj: T | None = None) -> Callable[[T], T] | T:
        """Register ``obj`` under ``name``; usable as ``@registry.register("name")``."""
        if obj is not None:
            self._add(name, obj)
            return obj

        def decorator(item: T) -> T:
            self._add(name, item)
            return item

        return decorator

    def _add(self, name: str, obj: T) -> None:
        if not name or not isinstance(name, str):
            raise ValueError(f"{self.kind} name must be a non-empty string, got {name!r}")
        if name in self._items:
            raise DuplicateRegistrationError(f"{self.kind} {name!r} is already registered")
        self._items[name] = obj

    def get(self, name: str) -> T:
        try:
            return self._items[name]
        except KeyError:
            known = ", ".join(sorted(self._items)) or "(none)"
            raise UnknownNameError(f"unknown {self.kind} {name!r}; known: {known}") from None

    def names(self) -> list[str]:
        return sorted(self._items)

    def __contains__(self, name: object) -> bool:
        return name in self._items

    def __iter__(self) -> Iterator[str]:
        return iter(sorted(self._items))

    def __len__(self) -> int:
        return len(self._items)

    def items(self) -> list[tuple[str, T]]:
        return sorted(self._items.items())
