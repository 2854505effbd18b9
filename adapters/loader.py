"""Finding routers: the built-ins, installed packages' entry points, and ``module:Class`` / ``file.py:Class`` specs.

* Entry points: an installed distribution that declares, in its ``pyproject.toml``::

      [project.entry-points."sorbench.routers"]
      my-sor = "my_package.router:MySor"

  is found by :func:`load_entry_points` (the entry point's name is informational; the router's ``name`` attribute is
  what ``--router`` and scenario files use).
* ``package.module:Class``: imported from ``sys.path``.
* ``path/to/file.py:Class``: loaded from the file under a module name derived from its resolved path, so the same
  file always gets the same module and two files with the same stem do not collide.

:class:`PluginRegistry` remembers where each router came from so that it can be rebuilt, router for router, in a
worker process (``sorbench run --jobs N`` starts workers with ``spawn``, where a class loaded from a file could not
be found by its module name otherwise).
"""

from __future__ import annotations

import hashlib
import importlib
import importlib.util
import sys
from importlib.metadata import entry_points
from pathlib import Path
from typing import Any

from adapters.contract import Router
from adapters.registry import RegistryError, RouterRegistry, builtin_registry

ENTRY_POINT_GROUP = "sorbench.routers"


def _module_name_for(path: Path) -> str:
    digest = hashlib.sha256(str(path).encode()).hexdigest()[:12]
    stem = "".join(ch if ch.isalnum() else "_" for ch in path.stem)
    return f"sorbench_plugin_{stem}_{digest}"


def source_sha256(cls: type[Router]) -> str | None:
    """The sha256 of the file that defines ``cls`` (its module's source), or None if it has no file.

    ``sorbench verify`` re-runs a plug-in only from a class the user names whose source has the hash the run's
    manifest recorded.
    """
    module = sys.modules.get(cls.__module__)
    path = getattr(module, "__file__", None)
    if not path:
        return None
    try:
        return hashlib.sha256(Path(path).read_bytes()).hexdigest()
    except OSError:
        return None


def load_class(spec: str) -> type[Router]:
    """The router class named by ``package.module:Class`` or ``path/to/file.py:Class``.

    Raises
    ------
    RegistryError
        With one line saying what is wrong: no ``:``, a missing file or module, an import that raised, no such
        attribute, or not a :class:`Router` subclass.
    """
    target, sep, attr = spec.rpartition(":")
    if not sep or not target or not attr:
        raise RegistryError(f"router spec {spec!r} is not 'package.module:Class' or 'path/to/file.py:Class'")
    if target.endswith(".py") or "/" in target or "\\" in target:
        path = Path(target).expanduser().resolve()
        if not path.is_file():
            raise RegistryError(f"router spec {spec!r}: file {path} not found")
        name = _module_name_for(path)
        module = sys.modules.get(name)
        if module is None:
            mod_spec = importlib.util.spec_from_file_location(name, path)
            if mod_spec is None or mod_spec.loader is None:
                raise RegistryError(f"router spec {spec!r}: cannot load {path} as Python")
            module = importlib.util.module_from_spec(mod_spec)
            sys.modules[name] = module  # before exec: dataclasses and pickling look the module up by name
            try:
                mod_spec.loader.exec_module(module)
            except (Exception, SystemExit) as exc:  # a plug-in's sys.exit() at import is its error, not ours
                del sys.modules[name]
                raise RegistryError(f"router spec {spec!r}: {path} raised {type(exc).__name__}: {exc}") from None
    else:
        try:
            module = importlib.import_module(target)
        except ImportError as exc:
            raise RegistryError(f"router spec {spec!r}: cannot import {target!r}: {exc}") from None
        except (Exception, SystemExit) as exc:
            raise RegistryError(f"router spec {spec!r}: importing {target!r} raised {type(exc).__name__}: {exc}") \
                from None
    obj: Any = module
    for part in attr.split("."):
        if not hasattr(obj, part):
            raise RegistryError(f"router spec {spec!r}: {target} has no attribute {attr!r}")
        obj = getattr(obj, part)
    if not (isinstance(obj, type) and issubclass(obj, Router)):
        raise RegistryError(f"router spec {spec!r}: {attr} is not a subclass of adapters.contract.Router")
    return obj


class PluginRegistry(RouterRegistry):
    """A registry that can be rebuilt in another process from where its routers came from."""

    def __init__(self) -> None:
        super().__init__()
        self._sources: list[tuple[str, str]] = []
        """(kind, value) in registration order: ("builtins", ""), ("entry_points", group) or ("spec", spec)."""

    def add_builtins(self) -> None:
        """Register the reference routers."""
        builtins = builtin_registry()
        for name in builtins:
            self.register(builtins.get(name))
        self._sources.append(("builtins", ""))

    def add_entry_points(self, group: str = ENTRY_POINT_GROUP) -> list[str]:
        """Register every router installed packages declare in ``group``; returns their names.

        A broken entry point (it does not import, or is not a Router) is an error naming the distribution, the
        entry point and the cause: a plug-in that is installed but cannot load should not be silently ignored.
        """
        names = []
        for ep in sorted(entry_points(group=group), key=lambda e: (e.name, e.value)):
            dist = getattr(ep.dist, "name", None) or "?"
            try:
                cls = ep.load()
            except Exception as exc:
                raise RegistryError(
                    f"entry point {ep.name!r} = {ep.value!r} of {dist} ({group}) failed to load: "
                    f"{type(exc).__name__}: {exc}"
                ) from None
            if not (isinstance(cls, type) and issubclass(cls, Router)):
                raise RegistryError(f"entry point {ep.name!r} = {ep.value!r} of {dist} is not a Router subclass")
            self.register(cls, origin=f"entry point {ep.value} ({dist})")
            names.append(cls.name)
        self._sources.append(("entry_points", group))
        return names

    def add_spec(self, spec: str) -> str:
        """Register the router of a ``module:Class`` or ``file.py:Class`` spec; returns its name.

        The same class given twice (e.g. by two ``--router`` options) is registered once.
        """
        cls = load_class(spec)
        if cls.name in self and self.get(cls.name) is cls:
            return cls.name
        self.register(cls, origin=spec)
        self._sources.append(("spec", spec))
        return cls.name

    def __reduce__(self) -> tuple[Any, ...]:
        return (_rebuild, (list(self._sources),))


def _rebuild(sources: list[tuple[str, str]]) -> PluginRegistry:
    registry = PluginRegistry()
    for kind, value in sources:
        if kind == "builtins":
            registry.add_builtins()
        elif kind == "entry_points":
            registry.add_entry_points(value)
        else:
            registry.add_spec(value)
    return registry


def full_registry(*, entry_point_group: str | None = ENTRY_POINT_GROUP) -> PluginRegistry:
    """The built-in routers plus those of installed packages (``entry_point_group=None``: built-ins only)."""
    registry = PluginRegistry()
    registry.add_builtins()
    if entry_point_group is not None:
        registry.add_entry_points(entry_point_group)
    return registry


def is_spec(text: str) -> bool:
    """Whether a ``--router`` value names a class to load (``module:Class``) rather than a registered name."""
    return ":" in text
