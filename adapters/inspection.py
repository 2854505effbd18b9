"""Registering a plug-in without importing it: its class is inspected in a short-lived child process.

sorbench's own process never imports vendor code. To register a ``file.py:Class`` or ``module:Class`` spec (or an
installed entry point), it starts ``python -c "...inspection.serve(...)"``, a fresh process under the same
containment as a router process (:mod:`adapters.confine`: address-space and CPU limits, no writing into files,
killed with its parent, its own session, stdin/stdout/stderr on ``/dev/null``) and killed by this side after a
wall-clock limit. That process imports the plug-in and answers with plain data (:class:`PluginInfo`: its name,
description, parameter schema and defaults, whether it implements ``on_parent``, the file that defines it), which
this side registers as a :class:`PluginStub`, a stand-in :class:`~adapters.contract.Router` that cannot be built.
Its parameters are validated the same way (:func:`validate_params`: the plug-in's own ``Params`` and
``check_params`` run in such a process; this side keeps the validated JSON data as a :class:`PluginParams`).
Whatever the plug-in's module does when imported (``os._exit``, ``sys.exit``, a loop, patching ``venues``, reading
the simulator's memory, writing files) happens in that process, and a failure is one line of
:class:`~adapters.registry.RegistryError`.

Why a child process rather than reading the source (``ast``): a router's name, parameters and defaults are Python
(inherited from the vendor's own base classes, computed, validated by its pydantic validators and its
``check_params``); only running the code gives the values the router process will see. The cost is a process start
per plug-in module inspected (the classes of one module are inspected together, and repeated specs are answered
from a cache keyed by the source's sha256) and per distinct parameter table validated.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import time
import traceback
from dataclasses import asdict, dataclass
from pathlib import Path
from types import MappingProxyType
from typing import Any, ClassVar

from pydantic import ConfigDict

from adapters.contract import Router
from adapters.importing import file_sha256, load_class, module_file, module_name_for, split_spec
from adapters.protocol import Channel, ChannelClosed, ChannelTimeout, ProtocolError
from adapters.registry import RegistryError

_ROOT = str(Path(__file__).resolve().parents[1])
"""The folder holding the ``adapters`` and ``venues`` packages the inspecting process imports."""


@dataclass(frozen=True)
class ProcessLimits:
    """The containment of a process that inspects a plug-in (the run's router-process settings, by default)."""

    wall_s: float = 60.0
    """Killed (``SIGKILL``) after this long: an import that hangs."""
    memory_bytes: int = 1 << 30
    """Address-space limit (``RLIMIT_AS``); 0: none."""
    cpu_s: int = 60
    """CPU-time limit (``RLIMIT_CPU``); 0: none."""


@dataclass(frozen=True)
class PluginInfo:
    """What registering a plug-in needs to know of it, as its inspecting process reported (plain data)."""

    spec: str
    """How a router process loads it: ``module:Class``, or ``/resolved/file.py:Class``."""
    name: str
    qualname: str
    description: str
    requires_realtime: bool
    implements_on_parent: bool
    params_schema: dict[str, Any]
    default_params: dict[str, Any] | None
    """``Params()`` as JSON data, or None if the parameters have no valid default."""
    has_check_params: bool
    source_file: str | None
    source_sha256: str | None
    """The sha256 of ``source_file``, read by this process (reading a file does not execute it)."""

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> PluginInfo:
        """From :func:`dataclasses.asdict`'s data."""
        return cls(**data)


class ParamsRejected(ValueError):
    """A plug-in's parameters failed its ``Params`` (``errors``: pydantic's, as data) or its ``check_params``."""

    def __init__(self, errors: list[dict[str, Any]], check: str | None = None) -> None:
        super().__init__(check or f"{len(errors)} validation error(s)")
        self.errors = errors
        self.check = check


# ---------------------------------------------------------------------------------------------- the stand-in class
class PluginStub(Router):
    """A registered plug-in in sorbench's own process: its data, never its code (see the module docstring)."""

    plugin: ClassVar[PluginInfo]

    class Params(Router.Params):
        """The plug-in's parameters as validated in its own process (JSON data; not validated again here)."""

        model_config = ConfigDict(extra="allow", frozen=True, strict=False)

    def __init__(self, params: Any = None) -> None:
        raise TypeError(f"router {self.name!r} is a plug-in: it runs in a router process (or PluginStub.load())")

    @classmethod
    def load(cls) -> type[Router]:
        """The plug-in's real class, imported into this process (``--router-process never`` only: trusted code)."""
        real = load_class(cls.plugin.spec)
        if real.name != cls.name:
            raise RegistryError(f"router spec {cls.plugin.spec!r} is now router {real.name!r}, not {cls.name!r}")
        return real


def _not_here(self: Any, parent: Any) -> None:
    raise TypeError("a plug-in's stand-in does not route")


def stub_for(info: PluginInfo) -> type[PluginStub]:
    """The stand-in class of an inspected plug-in (registered like a router class; it cannot be instantiated)."""
    ns: dict[str, Any] = {
        "name": info.name, "description": info.description, "requires_realtime": info.requires_realtime,
        "plugin": info, "__module__": __name__, "__qualname__": info.qualname,
        "__doc__": f"Stand-in for the plug-in {info.spec}.",
    }
    if info.implements_on_parent:
        ns["on_parent"] = _not_here
    return type(info.qualname.rsplit(".", 1)[-1], (PluginStub,), ns)


def is_stub(cls: Any) -> bool:
    """Whether ``cls`` is a plug-in's stand-in."""
    return isinstance(cls, type) and issubclass(cls, PluginStub)


# ---------------------------------------------------------------------------------------------- this process's side
_INSPECTED: dict[tuple[str, str], PluginInfo] = {}
"""Inspected classes by (target, attribute), reused while their source file's sha256 is unchanged."""
_VALIDATED: dict[str, dict[str, Any]] = {}


def inspect_spec(spec: str, *, limits: ProcessLimits | None = None) -> PluginInfo:
    """What the plug-in named by ``spec`` is, learnt in a contained child process; one-line :class:`RegistryError`."""
    target, attr, path = split_spec(spec)
    key = (str(path) if path is not None else target, attr)
    known = _INSPECTED.get(key)
    if known is not None and known.source_sha256 is not None and file_sha256(known.source_file) == known.source_sha256:
        return known
    load = f"{path}:{attr}" if path is not None else spec
    answers = _ask({"t": "inspect", "spec": load}, limits or ProcessLimits(), spec=spec, frames=2)
    first = answers[0]
    if first.get("t") != "info" or not isinstance(first.get("info"), dict):
        raise RegistryError(f"router spec {spec!r}: its inspecting process answered {str(first)[:120]}")
    info = _info(spec, first["info"])
    _INSPECTED[key] = info
    others = answers[1].get("infos") if len(answers) > 1 else None
    for other, data in (others or {}).items() if isinstance(others, dict) else ():
        with contextlib.suppress(RegistryError):
            _INSPECTED.setdefault((key[0], str(other)), _info(spec, data))
    return info


def _info(spec: str, data: Any) -> PluginInfo:
    try:
        fields = {k: data[k] for k in ("spec", "name", "qualname", "description", "requires_realtime",
                                       "implements_on_parent", "params_schema", "default_params",
                                       "has_check_params", "source_file")}
        info = PluginInfo(**fields, source_sha256=None)
    except (KeyError, TypeError) as exc:
        raise RegistryError(f"router spec {spec!r}: its inspecting process answered bad data ({exc})") from None
    if not all(isinstance(getattr(info, k), str) for k in ("spec", "name", "qualname", "description")):
        raise RegistryError(f"router spec {spec!r}: its name, class name or description is not a string")
    source = info.source_file if isinstance(info.source_file, str) else None
    return PluginInfo(**{**asdict(info), "source_file": source, "source_sha256": file_sha256(source)})


def validate_params(info: PluginInfo, raw: dict[str, Any], *, venues: list[dict[str, Any]],
                    limits: ProcessLimits | None = None) -> dict[str, Any]:
    """The plug-in's parameters ``raw``, validated in a contained child process: their JSON data.

    Its ``Params`` validates them, and its ``check_params`` (if any) checks them with ``venues`` (given as
    :func:`adapters.protocol.encode_venue` data).

    Raises :class:`ParamsRejected` (invalid) or :class:`RegistryError` (the process failed).
    """
    if raw == {} and info.default_params is not None and not info.has_check_params:
        return dict(info.default_params)
    try:
        key = json.dumps([info.spec, info.source_sha256, raw, venues if info.has_check_params else None],
                         sort_keys=True, allow_nan=False)
    except (TypeError, ValueError) as exc:
        raise ParamsRejected([], f"the parameters are not plain data ({exc})") from None
    if key in _VALIDATED:
        return dict(_VALIDATED[key])
    request = {"t": "params", "spec": info.spec, "raw": raw, "venues": venues if info.has_check_params else []}
    answer = _ask(request, limits or ProcessLimits(), spec=info.spec, frames=1)[0]
    if answer.get("t") == "invalid":
        raise ParamsRejected([e for e in answer.get("errors") or [] if isinstance(e, dict)])
    if answer.get("t") == "check_failed":
        raise ParamsRejected([], one_line(answer))
    if answer.get("t") != "params" or not isinstance(answer.get("dump"), dict):
        raise RegistryError(f"router spec {info.spec!r}: its parameter check answered {str(answer)[:120]}")
    _VALIDATED[key] = answer["dump"]
    return dict(answer["dump"])


def one_line(msg: dict[str, Any]) -> str:
    """A child's message as one printable line of at most 2,000 characters (it is shown on the console)."""
    text = str(msg.get("message", ""))[:2000]
    return "".join(ch if ch.isprintable() else " " for ch in text.replace("\n", " | "))


def _ask(request: dict[str, Any], limits: ProcessLimits, *, spec: str, frames: int) -> list[dict[str, Any]]:
    """Start an inspecting process, send it ``request`` and read up to ``frames`` answers; then kill it."""
    to_r, to_w = os.pipe()
    from_r, from_w = os.pipe()
    code = (f"import sys; sys.path.insert(0, {_ROOT!r}); from adapters.inspection import serve; "
            f"serve({to_r}, {from_w}, {limits.memory_bytes}, {limits.cpu_s})")
    env = {**os.environ, "PYTHONHASHSEED": "0", "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1"}
    try:
        proc = subprocess.Popen([sys.executable, "-c", code], stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL, pass_fds=(to_r, from_w), close_fds=True,
                                start_new_session=True, env=env)
    except OSError as exc:
        for fd in (to_r, to_w, from_r, from_w):
            os.close(fd)
        raise RegistryError(f"router spec {spec!r}: its inspecting process could not be started: {exc}") from None
    os.close(to_r)
    os.close(from_w)
    ch = Channel(from_r, to_w, nonblocking=True)
    deadline = time.monotonic() + limits.wall_s
    answers: list[dict[str, Any]] = []
    try:
        ch.send({**request, "sys_path": [p for p in sys.path if isinstance(p, str)]}, deadline)
        answers.append(ch.recv(deadline))
        if answers[0].get("t") == "failed":
            raise RegistryError(one_line(answers[0]))
        if frames > 1:  # the module's other classes: a bonus, so a short wait and any failure ignored
            with contextlib.suppress(ChannelClosed, ChannelTimeout, ProtocolError):
                answers.append(ch.recv(min(deadline, time.monotonic() + 5.0)))
    except ChannelTimeout:
        raise RegistryError(f"router spec {spec!r}: inspecting it took longer than {limits.wall_s:g} s (does "
                            "importing it hang?); its process was killed") from None
    except ChannelClosed:
        raise RegistryError(f"router spec {spec!r}: {_ended(proc)} while it was being inspected "
                            "(sorbench never imports a plug-in itself)") from None
    except ProtocolError as exc:
        raise RegistryError(f"router spec {spec!r}: its inspecting process broke the protocol: {exc}") from None
    finally:
        _end(proc)
        for fd in (from_r, to_w):
            with contextlib.suppress(OSError):
                os.close(fd)
    return answers


def _ended(proc: subprocess.Popen[bytes]) -> str:
    try:
        code = proc.wait(2.0)
    except subprocess.TimeoutExpired:
        return "its inspecting process closed its pipe"
    if code < 0:
        try:
            return f"its inspecting process was killed by {signal.Signals(-code).name}"
        except ValueError:
            return f"its inspecting process was killed by signal {-code}"
    return f"its inspecting process exited with status {code}"


def _end(proc: subprocess.Popen[bytes]) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(proc.pid, signal.SIGKILL)  # its session: whatever the plug-in started goes too
    with contextlib.suppress(subprocess.TimeoutExpired):
        proc.wait(5.0)


# ---------------------------------------------------------------------------------------------- the child's side
def serve(read_fd: int, write_fd: int, memory_bytes: int, cpu_seconds: int) -> None:
    """The inspecting process: contain itself, answer one request, end without running exit handlers."""
    from adapters.confine import die_with_parent, limit_self

    die_with_parent()
    limit_self(memory_bytes, cpu_seconds)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    ch = Channel(read_fd, write_fd)
    req: dict[str, Any] = {}
    try:
        req = ch.recv()
        sys.path[:] = [p for p in req.get("sys_path") or [] if isinstance(p, str)]
        if req.get("t") == "params":
            ch.send(_checked_params(req))
        else:
            cls = load_class(req["spec"])
            ch.send({"t": "info", "info": _describe(cls, req["spec"])})
            ch.send({"t": "others", "infos": _others(cls, req["spec"])})
    except BaseException as exc:  # whatever importing or inspecting did, this side hears of it
        message = str(exc) if isinstance(exc, RegistryError) else f"router spec {req.get('spec')!r}: " \
            f"inspecting it raised {type(exc).__name__}: {exc}"
        with contextlib.suppress(Exception):
            ch.send({"t": "failed", "message": message[:4000], "traceback": traceback.format_exc()[-4000:]})
    os._exit(0)


def _describe(cls: type[Router], spec: str) -> dict[str, Any]:
    try:
        default: Any = cls.Params().model_dump(mode="json")
        json.dumps(default, allow_nan=False)
    except Exception:
        default = None
    name, description = cls.name, cls.description
    return {
        "spec": spec, "name": name if isinstance(name, str) else "", "qualname": cls.__qualname__,
        "description": description if isinstance(description, str) else "",
        "requires_realtime": bool(getattr(cls, "requires_realtime", False)),
        "implements_on_parent": cls.on_parent is not Router.on_parent,
        "params_schema": cls.Params.model_json_schema(), "default_params": default,
        "has_check_params": callable(getattr(cls, "check_params", None)), "source_file": module_file(cls),
    }


def _others(cls: type[Router], spec: str) -> dict[str, Any]:
    """The other router classes the module defines at top level, described (so one process serves them all)."""
    target, attr, path = split_spec(spec)
    module = sys.modules.get(module_name_for(path) if path is not None else target)
    out: dict[str, Any] = {}
    for key, value in list(vars(module).items()) if module is not None else ():
        if key == attr or not (isinstance(value, type) and issubclass(value, Router) and value is not cls):
            continue
        if value.__module__ != module.__name__:  # type: ignore[union-attr]
            continue
        with contextlib.suppress(Exception):
            data = _describe(value, f"{target}:{key}")
            json.dumps(data, allow_nan=False)
            out[key] = data
    return out


def _checked_params(req: dict[str, Any]) -> dict[str, Any]:
    from pydantic import ValidationError

    from adapters.protocol import decode_venue

    cls = load_class(req["spec"])
    try:
        params = cls.Params.model_validate(req["raw"])
    except ValidationError as err:
        errors = [{"loc": [str(p) for p in e["loc"]], "type": str(e["type"]), "msg": str(e["msg"]),
                   "input": repr(e.get("input"))[:200]} for e in err.errors()]
        return {"t": "invalid", "errors": errors}
    check = getattr(cls, "check_params", None)
    if check is not None:
        venues = MappingProxyType({v["name"]: decode_venue(v) for v in req.get("venues") or []})
        try:
            check(params, venues=dict(venues))
        except ValueError as err:
            return {"t": "check_failed", "message": str(err)}
    return {"t": "params", "dump": params.model_dump(mode="json")}


__all__ = ["ParamsRejected", "PluginInfo", "PluginStub", "ProcessLimits", "inspect_spec", "is_stub", "stub_for",
           "validate_params"]
