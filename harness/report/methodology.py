"""The methodology and reproducibility sections.

Every parameter of the resolved scenario, the review policy and the analytics, generated from the manifest and the
analytics' ``meta.json`` files, so the tables cannot drift from what was run.

Run-specific provenance (versions, git commit, platform, times, command lines, the PDF renderer) is collected
separately: the HTML marks it so that ``sorbench verify`` can compare a re-run's report without it.
"""

from __future__ import annotations

import json
import shlex
from pathlib import Path
from typing import Any

from harness.report import fmt
from harness.report.data import RunData
from harness.report.tables import Cell, Table

SCENARIO_KEYS_SHOWN = ("name", "description", "session", "access_fee_cap_usd", "symbols", "venues", "latency",
                       "background", "flow", "events", "routers", "router_params")


def _value(v: Any) -> str:
    if v is None:
        return "none"
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, float):
        return f"{v:g}"
    if isinstance(v, list | dict):
        return json.dumps(v, sort_keys=True, separators=(", ", ": "))
    return str(v)


def flatten(d: Any, prefix: str = "") -> list[tuple[str, Any]]:
    """Nested dicts as (dotted key, leaf value) pairs, in the dict's order; lists of scalars stay whole."""
    if not isinstance(d, dict):
        return [(prefix, d)]
    out: list[tuple[str, Any]] = []
    for k, v in d.items():
        key = f"{prefix}.{k}" if prefix else str(k)
        if isinstance(v, dict) and v:
            out += flatten(v, key)
        else:
            out.append((key, v))
    return out


def kv_table(key: str, pairs: list[tuple[str, Any]], *, caption: str = "", header: str = "Parameter") -> Table:
    """A two-column parameter table."""
    t = Table(key, [header, "Value"], caption=caption)
    for k, v in pairs:
        t.add(Cell(k, "param"), Cell(_value(v), "mono"))
    return t


def _records_table(key: str, records: list[dict[str, Any]], *, name_key: str = "name", caption: str = "") -> Table:
    """Records (venues, symbols) side by side: one column per record, one row per flattened field."""
    flat = [dict(flatten(r)) for r in records if isinstance(r, dict)]
    names = [str(r.get(name_key, i)) for i, r in enumerate(flat)]
    fields = list(dict.fromkeys(k for r in flat for k in r if k != name_key))
    t = Table(key, ["Field", *names], numeric=[False] + [True] * len(names), caption=caption, wide=len(names) > 6)
    for f in fields:
        t.add(Cell(f, "param"), *(Cell(_value(r.get(f)), "mono num") for r in flat))
    return t


def parameter_tables(data: RunData) -> list[dict[str, Any]]:
    """The resolved scenario's parameters (manifest.json ``scenario``), grouped, each group a table."""
    sc = data.scenario
    groups: list[dict[str, Any]] = []
    session = [("name", sc.get("name")), ("description", sc.get("description")),
               *((f"session.{k}", v) for k, v in (sc.get("session") or {}).items()),
               ("access_fee_cap_usd", sc.get("access_fee_cap_usd"))]
    groups.append({"title": "Session", "table": kv_table("param-session", session)})
    if sc.get("symbols"):
        groups.append({"title": "Symbols", "table": _records_table("param-symbols", sc["symbols"])})
    if sc.get("venues"):
        groups.append({"title": "Venues, rules and fees", "table": _records_table(
            "param-venues", sc["venues"], caption="Fees in USD per share: > 0 a charge, < 0 a rebate; PFOF is paid "
                                                  "to the broker. Latencies in microseconds.")})
    latency = sc.get("latency") or {}
    if latency:
        lat = [(f"defaults.{k}", v) for k, v in (latency.get("defaults") or {}).items()]
        lat += [(k, v) for k, v in latency.items() if k not in ("defaults", "links")]
        t = kv_table("param-latency", lat, caption="Latency models in nanoseconds (defaults for every participant "
                                                    "and venue link, and the SIP's processing delay).")
        groups.append({"title": "Latency", "table": t})
        links = latency.get("links") or []
        if links:
            lt = Table("param-links", ["Participant", "Venue", "Direction", "Model"])
            for link in links:
                lt.add(_value(link.get("participant")), _value(link.get("venue")), _value(link.get("direction")),
                       Cell(_value(link.get("model")), "mono"))
            groups.append({"title": "Latency links overriding the defaults", "table": lt})
    if sc.get("background"):
        groups.append({"title": "Background participants", "table": kv_table(
            "param-background", flatten(sc["background"]),
            caption="Market makers, liquidity flow, informed and fast traders, and the intraday activity curve.")})
    if sc.get("flow"):
        groups.append({"title": "Parent-order flow", "table": kv_table("param-flow", flatten(sc["flow"]))})
    events = sc.get("events") or []
    et = Table("param-events", ["#", "Event"])
    for i, e in enumerate(events):
        et.add(str(i + 1), Cell(_value(e), "mono"))
    if not events:
        et.add("", "none: no halts, outages or fee changes during the session")
    groups.append({"title": "Scheduled events", "table": et})
    rt = Table("param-routers", ["Router", "Origin", "Parameters"])
    for r in data.manifest.get("routers", []) or []:
        if isinstance(r, dict):
            rt.add(Cell(str(r.get("name")), "router"), _value(r.get("origin")), Cell(_value(r.get("params")), "mono"))
    groups.append({"title": "Routers and their parameters", "table": rt})
    other = [(k, v) for k, v in sc.items() if k not in SCENARIO_KEYS_SHOWN]
    if other:
        groups.append({"title": "Other scenario parameters", "table": kv_table("param-other", flatten(dict(other)))})
    return groups


def analysis_tables(data: RunData) -> list[dict[str, Any]]:
    """The analytics' parameters, from each output folder's ``meta.json``.

    Intervals, review policy (rules, paying-venue rules, exceptions, conflict flag), regulatory configuration.
    """
    out: list[dict[str, Any]] = []
    tca, conflict, reg = (data.meta.get(k, {}) for k in ("tca", "conflict", "regulatory"))
    policy = tca.get("review_policy") or {}
    general = [("intervals", tca.get("intervals") or (f"two-stage bootstrap, {tca['n_boot']} replicates (an older "
                                                        "run)" if tca.get("n_boot") else None)),
               ("interval level (ci_level)", policy.get("ci_level")),
               ("reference routers", policy.get("reference_routers")), ("policy version", policy.get("version"))]
    general += [(f"conflict.{k}", v) for k, v in (policy.get("conflict") or {}).items()]
    general += [(f"exceptions.{k}", v) for k, v in (policy.get("exceptions") or {}).items()]
    if tca or conflict:
        out.append({"title": "Analytics and review policy", "table": kv_table("param-analysis", general)})
    rules = policy.get("rules") or []
    if rules:
        t = Table("param-rules", ["Rule", "Figure", "Order classes", "Benchmark", "Fallback", "Relative",
                                  "Review margin", "Fail margin", "By symbol"], wide=True)
        for r in rules:
            t.add(Cell(str(r.get("id")), "param"), _value(r.get("figure")), _value(r.get("order_classes")),
                  _value(r.get("benchmark")), _value(r.get("fallback")), _value(r.get("relative")),
                  _value(r.get("review_margin")), _value(r.get("fail_margin")), _value(r.get("by_symbol")))
        out.append({"title": "Review rules (action thresholds)", "table": t})
    pv = policy.get("paying_venue_rules") or []
    if pv:
        t = Table("param-paying", ["Rule", "Order classes", "Review share", "Fail share", "Quality margin cph"])
        for r in pv:
            t.add(Cell(str(r.get("id")), "param"), _value(r.get("order_classes")), _value(r.get("review_share")),
                  _value(r.get("fail_share")), _value(r.get("quality_margin_cph")))
        out.append({"title": "Paying-venue rules", "table": t})
    if reg:
        pairs = [("period", reg.get("period")), *((f"config.{k}", v) for k, v in (reg.get("config") or {}).items()),
                 *((f"entity code of {k}", v) for k, v in sorted((reg.get("entity_codes") or {}).items()))]
        out.append({"title": "Regulatory files", "table": kv_table("param-regulatory", pairs)})
    return out


def glossary_table() -> Table:
    """The headline figures' labels with definition, population and unit (:mod:`harness.analytics.labels`)."""
    from harness.analytics.labels import LABELS

    t = Table("glossary", ["Label", "Definition", "Population", "Unit", "Values from"],
              caption="Every headline figure of this report, the console and the compare and suite pages, by the "
                      "label it is shown under; price figures are shown in cph (cents per 100 shares = USD per "
                      "share x 10,000). The same table is in docs/analytics.md.", wide=True)
    for lab in LABELS:
        t.add(Cell(lab.label, "nowrap"), lab.definition, lab.population, lab.unit, Cell(lab.source, "detail"))
    return t


def assumption_values(data: RunData) -> dict[str, Any]:
    """Values the assumptions text quotes, read from the resolved scenario (so the text stays true)."""
    sc = data.scenario
    venues = [v for v in sc.get("venues", []) or [] if isinstance(v, dict)]
    kinds: dict[str, list[str]] = {}
    for v in venues:
        kinds.setdefault(str(v.get("kind", "lit")), []).append(str(v.get("name")))
    bg = sc.get("background") or {}
    enabled = [k.replace("_", " ") for k, v in bg.items() if isinstance(v, dict) and v.get("enabled") is True]
    session = sc.get("session") or {}
    flow = sc.get("flow") or {}
    return {
        "venues": kinds, "n_venues": len(venues), "symbols": [s.get("name") for s in sc.get("symbols", []) or []],
        "participants": enabled, "session": session, "fee_cap": sc.get("access_fee_cap_usd"),
        "orders": flow.get("orders"), "orders_file": data.manifest.get("orders_file"),
        "seeds": data.manifest.get("seeds", []), "n_routers": len(data.routers),
        "fast_trader_react_to": (bg.get("fast_trader") or {}).get("react_to"),
        "decision_latency": (data.manifest.get("router_limits") or {}).get("decision_latency", "none"),
        "ci_level": (data.meta.get("tca", {}).get("review_policy") or {}).get("ci_level"),
    }


def _display_command(argv: list[str]) -> str:
    if not argv:
        return ""
    first = Path(argv[0]).name
    parts = ["sorbench" if first in ("sorbench", "cli.py", "__main__.py") or first.startswith("python") else first,
             *argv[1:]]
    if first.startswith("python") and argv[1:3] == ["-m", "harness.cli"]:
        parts = ["sorbench", *argv[3:]]
    return shlex.join(parts)


def rerun_command(data: RunData) -> str:
    """A ``sorbench run`` command line that runs the same scenario, routers and seeds into a new folder."""
    m = data.manifest
    parts = ["sorbench", "run"]
    if m.get("scenario_file"):
        parts.append(str(m["scenario_file"]))
    for r in m.get("routers", []) or []:
        if isinstance(r, dict):
            origin = str(r.get("origin") or "built-in")
            spec = ":" in origin and not origin.startswith("entry point")  # a module:Class or file.py:Class spec
            parts += ["--router", origin if spec else str(r.get("name"))]
    seeds = [int(s) for s in m.get("seeds", []) or []]
    if len(seeds) == 1:
        parts += ["--seed", str(seeds[0])]
    elif seeds:
        parts += ["--seeds", str(len(seeds))]
    if m.get("orders_file"):
        parts += ["--orders", str(m["orders_file"])]
    lim = m.get("router_limits") or {}
    if lim.get("callback_timeout_s") not in (None, 30.0):
        parts += ["--callback-timeout", _value(lim["callback_timeout_s"])]
    if lim.get("decision_latency") not in (None, "none"):
        parts += ["--decision-latency", str(lim["decision_latency"])]
    if m.get("incentive_twins"):
        parts += ["--incentive-test", "--incentive-twins", str(m["incentive_twins"])]
    parts += ["--out", "NEW_FOLDER"]
    return shlex.join(parts)


def reproducibility_section(data: RunData, *, run_path: Path, pdf_renderer: str) -> dict[str, Any]:
    """What identifies the run (stable: scenario hash, seeds, routers, files) and how it was made (run-specific)."""
    m = data.manifest
    lim = m.get("router_limits") or {}
    stable = [("scenario", m.get("scenario", {}).get("name")), ("scenario sha256", m.get("scenario_sha256")),
              ("seeds", m.get("seeds")), ("incentive twins", m.get("incentive_twins", 0)),
              ("parent-order file sha256", m.get("orders_file_sha256")),
              ("router callback timeout, s", lim.get("callback_timeout_s")),
              ("decision latency charged", lim.get("decision_latency")),
              ("reproducible byte for byte", lim.get("reproducible")),
              ("analytics", m.get("analysis", "not recorded"))]
    runs = Table("runs", ["Router", "Seed", "Status", "Book messages", "Kernel events", "Simulated s", "Error"],
                 numeric=[False, True, False, True, True, True, False])
    for r in m.get("runs", []) or []:
        if isinstance(r, dict):
            runs.add(Cell(str(r.get("router")), "router"), fmt.integer(r.get("seed")),
                     Cell(str(r.get("status")), "badge pass" if r.get("status") == "ok" else "badge fail"),
                     fmt.integer(r.get("messages")), fmt.integer(r.get("kernel_events")),
                     fmt.number(r.get("simulated_seconds"), 6), fmt.text(r.get("error")))
    routers = Table("repro-routers", ["Router", "Origin", "Parameters"])
    for r in m.get("routers", []) or []:
        if isinstance(r, dict):
            routers.add(Cell(str(r.get("name")), "router"), _value(r.get("origin")),
                        Cell(_value(r.get("params")), "mono"))
    files = Table("files", ["File", "sha256"], caption="Every data file of the run folder with the sha256 recorded "
                                                        "in manifest.json (the report's own files are hashed there "
                                                        "too, after it was written).")
    for name, digest in data.file_hashes.items():
        files.add(Cell(name, "mono"), Cell(digest, "mono hash"))
    provenance = [("sorbench version", m.get("sorbench_version")), ("git commit", m.get("git_commit")),
                  ("python", m.get("python")), ("platform", m.get("platform")), ("started (UTC)", m.get("started_utc")),
                  ("worker processes", m.get("jobs")), ("scenario file", m.get("scenario_file")),
                  ("parent-order file", m.get("orders_file")), ("run folder", str(run_path)),
                  ("PDF rendering", pdf_renderer)]
    return {"stable": kv_table("repro-stable", stable, header="Item"), "runs": runs, "routers": routers,
            "files": files, "provenance": kv_table("repro-provenance", provenance, header="Item"),
            "recorded_command": _display_command([str(a) for a in m.get("command", []) or []]),
            "rerun_command": rerun_command(data), "verify_command": shlex.join(["sorbench", "verify", str(run_path)]),
            "report_command": shlex.join(["sorbench", "report", str(run_path)])}
