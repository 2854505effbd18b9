"""Finding routers: the built-ins, installed packages' entry points, and ``module:Class`` / ``file.py:Class`` specs.

* Entry points: an installed distribution that declares, in its ``pyproject.toml``::

      [project.entry-points."sorbench.routers"]
      my-sor = "my_package.router:MySor"

  is found by :meth:`PluginRegistry.add_entry_points` (the entry point's name is informational; the router's
  ``name`` attribute is what ``--router`` and scenario files use).
* ``package.module:Class``: imported from ``sys.path``.
* ``path/to/file.py:Class``: loaded from the file (:mod:`adapters.importing`).

A plug-in (anything but the built-ins) is never imported into this process: it is inspected in a short-lived,
contained child process and registered as a stand-in (:mod:`adapters.inspection`); it runs in router processes.

:class:`PluginRegistry` remembers its routers' inspected data so that it can be rebuilt, router for router, in a
worker process (``sorbench run --jobs N`` starts workers with ``spawn``) without inspecting anything again.
"""

from __future__ import annotations

from dataclasses import asdict
from importlib.metadata import entry_points
from typing import Any

from adapters.contract import Router
from adapters.importing import file_sha256, load_class, module_file
from adapters.inspection import PluginInfo, ProcessLimits, inspect_spec, is_stub, stub_for
from adapters.registry import RegistryError, RouterRegistry, builtin_registry

ENTRY_POINT_GROUP = "sorbench.routers"
_OWN_PACKAGES = ("adapters", "harness", "venues")
"""sorbench's own packages: an entry point of the ``sorbench`` distribution into them is sorbench's code."""


def source_sha256(cls: type[Router]) -> str | None:
    """The sha256 of the file that defines ``cls`` (its module's source), or None if it has no file.

    ``sorbench verify`` re-runs a plug-in only from a class the user names whose source has the hash the run's
    manifest recorded. A plug-in's stand-in carries the hash its registration read.
    """
    if is_stub(cls):
        return cls.plugin.source_sha256  # type: ignore[attr-defined]
    return file_sha256(module_file(cls))


class PluginRegistry(RouterRegistry):
    """A registry of built-ins and inspected plug-ins that can be rebuilt in another process.

    ``limits`` contain the processes that inspect plug-ins (default: :class:`~adapters.inspection.ProcessLimits`).
    """

    def __init__(self, limits: ProcessLimits | None = None) -> None:
        super().__init__()
        self.limits = limits or ProcessLimits()
        self._sources: list[tuple[str, str, dict[str, Any] | None]] = []
        """In registration order: ("builtins", "", None), ("own", entry point value, {"origin": ...}) for sorbench's
        own entry points, or ("plugin", origin, the plug-in's data)."""

    def add_builtins(self) -> None:
        """Register the reference routers."""
        builtins = builtin_registry()
        for name in builtins:
            self.register(builtins.get(name))
        self._sources.append(("builtins", "", None))

    def add_plugin(self, info: PluginInfo, *, origin: str) -> str:
        """Register an inspected plug-in's stand-in; returns its name (the same plug-in twice: once)."""
        if info.name in self:
            known = self.get(info.name)
            if is_stub(known) and known.plugin == info:  # type: ignore[attr-defined]
                return info.name
        self.register(stub_for(info), origin=origin)
        self._sources.append(("plugin", origin, asdict(info)))
        return info.name

    def add_entry_points(self, group: str = ENTRY_POINT_GROUP) -> list[str]:
        """Register every router installed packages declare in ``group``; returns their names.

        A broken entry point (it does not import, or is not a Router) is an error naming the distribution, the
        entry point and the cause: a plug-in that is installed but cannot load should not be silently ignored.
        Reading entry points runs no code of theirs; each is inspected in a child process.
        """
        names = []
        for ep in sorted(entry_points(group=group), key=lambda e: (e.name, e.value)):
            dist = getattr(ep.dist, "name", None) or "?"
            origin = f"entry point {ep.value} ({dist})"
            if dist == "sorbench" and ep.value.split(".")[0] in _OWN_PACKAGES:  # sorbench's own (the fix router)
                names.append(self._add_own(ep, origin=origin, group=group))
                continue
            try:
                info = inspect_spec(ep.value, limits=self.limits)
            except RegistryError as exc:
                raise RegistryError(f"entry point {ep.name!r} = {ep.value!r} of {dist} ({group}) failed to load: "
                                    f"{exc}") from None
            names.append(self.add_plugin(info, origin=origin))
        return names

    def _add_own(self, ep: Any, *, origin: str, group: str) -> str:
        """Register an entry point sorbench itself declares: its own code, imported here like the built-ins."""
        try:
            cls = ep.load()
        except Exception as exc:
            raise RegistryError(f"entry point {ep.name!r} = {ep.value!r} of sorbench ({group}) failed to load: "
                                f"{type(exc).__name__}: {exc}") from None
        if not (isinstance(cls, type) and issubclass(cls, Router)):
            raise RegistryError(f"entry point {ep.name!r} = {ep.value!r} of sorbench is not a Router subclass")
        self.register(cls, origin=origin)
        self._sources.append(("own", ep.value, {"origin": origin}))
        return str(cls.name)

    def add_spec(self, spec: str) -> str:
        """Register the router of a ``module:Class`` or ``file.py:Class`` spec; returns its name.

        The same class given twice (e.g. by two ``--router`` options) is registered once.
        """
        return self.add_plugin(inspect_spec(spec, limits=self.limits), origin=spec)

    def __reduce__(self) -> tuple[Any, ...]:
        return (_rebuild, (list(self._sources), self.limits))


def _rebuild(sources: list[tuple[str, str, dict[str, Any] | None]], limits: ProcessLimits) -> PluginRegistry:
    registry = PluginRegistry(limits)
    for kind, origin, data in sources:
        if kind == "builtins":
            registry.add_builtins()
        elif kind == "own" and data is not None:
            registry.register(load_class(origin), origin=data["origin"])
            registry._sources.append((kind, origin, data))
        elif data is not None:
            registry.add_plugin(PluginInfo.from_json(data), origin=origin)
    return registry


def full_registry(*, entry_point_group: str | None = ENTRY_POINT_GROUP,
                  limits: ProcessLimits | None = None) -> PluginRegistry:
    """The built-in routers plus those of installed packages (``entry_point_group=None``: built-ins only)."""
    registry = PluginRegistry(limits)
    registry.add_builtins()
    if entry_point_group is not None:
        registry.add_entry_points(entry_point_group)
    return registry


def is_spec(text: str) -> bool:
    """Whether a ``--router`` value names a class to load (``module:Class``) rather than a registered name."""
    return ":" in text


__all__ = ["ENTRY_POINT_GROUP", "PluginRegistry", "full_registry", "is_spec", "load_class", "source_sha256"]
