"""The router registry: built-in routers by name, checked when registered."""

from __future__ import annotations

import re
from collections.abc import Iterator

from adapters.contract import Router

ROUTER_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_.\-]{0,63}")
"""What a router's name may be: it becomes part of file names (``failures/<router>-seed<N>.txt``) and table values."""


class RegistryError(ValueError):
    """A router class could not be registered or a name is unknown."""


class RouterRegistry:
    """Routers by name. Registration checks the class and refuses duplicate names."""

    def __init__(self) -> None:
        self._routers: dict[str, type[Router]] = {}
        self._origins: dict[str, str] = {}

    def register(self, cls: type[Router], *, origin: str = "built-in") -> type[Router]:
        """Add a router class; raises :class:`RegistryError` on a bad class or a duplicate name."""
        if not (isinstance(cls, type) and issubclass(cls, Router)):
            raise RegistryError(f"{cls!r} is not a subclass of adapters.contract.Router")
        name = cls.name
        if not name or not isinstance(name, str):
            raise RegistryError(f"router class {cls.__qualname__} has no name")
        if origin != "internal" and not ROUTER_NAME.fullmatch(name):  # internal: sorbench's own "(no router)"
            raise RegistryError(f"router name {name[:80]!r} of {cls.__qualname__} is not 1-64 letters, digits, '_', "
                                "'-' or '.' starting with a letter (it names files in the run folder)")
        if cls.on_parent is Router.on_parent:
            raise RegistryError(f"router {name!r} ({cls.__qualname__}) does not implement on_parent")
        if name in self._routers:
            raise RegistryError(
                f"duplicate router name {name!r}: {cls.__qualname__} ({origin}) and "
                f"{self._routers[name].__qualname__} ({self._origins[name]})"
            )
        self._routers[name] = cls
        self._origins[name] = origin
        return cls

    def get(self, name: str) -> type[Router]:
        """The router class registered under ``name``."""
        try:
            return self._routers[name]
        except KeyError:
            known = ", ".join(sorted(self._routers))
            raise RegistryError(f"unknown router {name!r} (known: {known})") from None

    def origin(self, name: str) -> str:
        """Where the router came from."""
        return self._origins[name]

    def __contains__(self, name: object) -> bool:
        return name in self._routers

    def __iter__(self) -> Iterator[str]:
        return iter(self._routers)

    def names(self) -> list[str]:
        """Registered names in registration order."""
        return list(self._routers)


def builtin_registry() -> RouterRegistry:
    """A registry holding the reference routers."""
    from adapters.reference import REFERENCE_ROUTERS

    registry = RouterRegistry()
    for cls in REFERENCE_ROUTERS:
        registry.register(cls)
    return registry
