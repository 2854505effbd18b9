"""Importing a router class named by ``package.module:Class`` or ``path/to/file.py:Class``, in this process.

sorbench's own process never calls this for a plug-in (:mod:`adapters.inspection` registers one from a child
process); the processes that run vendor code do: a router process (:mod:`adapters.router_host`), the short-lived
process that inspects a plug-in, and the simulator itself only under ``--router-process never`` (trusted code,
for debugging one's own router) or for a router that takes part only in real time.

A file is loaded under a module name derived from its resolved path, so the same file always gets the same module
and two files with the same stem do not collide.
"""

from __future__ import annotations

import hashlib
import importlib
import importlib.util
import sys
from pathlib import Path
from typing import Any

from adapters.contract import Router
from adapters.registry import RegistryError


def module_name_for(path: Path) -> str:
    """The module name a plug-in file is loaded under (stable for a path)."""
    digest = hashlib.sha256(str(path).encode()).hexdigest()[:12]
    stem = "".join(ch if ch.isalnum() else "_" for ch in path.stem)
    return f"sorbench_plugin_{stem}_{digest}"


def split_spec(spec: str) -> tuple[str, str, Path | None]:
    """``(target, attribute, file)`` of a spec (``file`` resolved, or None for a module spec); one-line errors.

    Reads nothing but the file system's metadata: whether a file spec's file exists.
    """
    target, sep, attr = spec.rpartition(":")
    if not sep or not target or not attr:
        raise RegistryError(f"router spec {spec!r} is not 'package.module:Class' or 'path/to/file.py:Class'")
    if target.endswith(".py") or "/" in target or "\\" in target:
        path = Path(target).expanduser().resolve()
        if not path.is_file():
            raise RegistryError(f"router spec {spec!r}: file {path} not found")
        return target, attr, path
    return target, attr, None


def load_class(spec: str) -> type[Router]:
    """The router class named by ``package.module:Class`` or ``path/to/file.py:Class`` (imported here).

    Raises
    ------
    RegistryError
        With one line saying what is wrong: no ``:``, a missing file or module, an import that raised, no such
        attribute, or not a :class:`Router` subclass.
    """
    target, attr, path = split_spec(spec)
    if path is not None:
        name = module_name_for(path)
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


def module_file(cls: type) -> str | None:
    """The file of the module that defines ``cls`` (None if it has none)."""
    path = getattr(sys.modules.get(cls.__module__), "__file__", None)
    return str(path) if path else None


def file_sha256(path: str | None) -> str | None:
    """The sha256 of a file's bytes (None if there is no such file); reading a file never executes it."""
    if not path:
        return None
    try:
        return hashlib.sha256(Path(path).read_bytes()).hexdigest()
    except OSError:
        return None
