"""Checks of the regulatory files against the SEC's own schema and metadata files, when the user has them.

``validate_606`` validates a Rule 606 XML report against ``oh-20191231.xsd``; ``validate_605`` checks a Rule 605
summary CSV against ``oes-metadata.json`` (CSVW), including the rule that a required field is never empty where the
specification does not allow it. Both return a list of problems, empty when the file conforms.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from lxml import etree

OES_EXECUTION_FIELDS = [
    "ExctdOrderMidPtAvg", "PctExctdAtQuotOrBetter", "PctExctdPI", "WghtdAvgPctPI", "AvgEffctvSprdPct",
    "AvgPctQuotSprd", "AvgEFQPct", "AvgRealSprdPct15sec", "AvgRealSprdPct1min", "WghtdAvgExctnTime",
]
"""Rule 605(a)(2)(iii) to (xii): the fields "for executions of covered orders", empty in a record with none."""

__all__ = ["OES_EXECUTION_FIELDS", "validate_605", "validate_606"]

def validate_606(xml: bytes, xsd_path: Path | str) -> list[str]:
    """Problems found validating a 606 report against the SEC's schema (an empty list when it is valid)."""
    schema = etree.XMLSchema(etree.parse(str(xsd_path)))
    doc = etree.fromstring(xml)
    if schema.validate(doc):
        return []
    return [f"line {e.line}: {e.message}" for e in schema.error_log]


def validate_605(data: bytes, metadata_path: Path | str) -> list[str]:
    """Problems found checking a Rule 605 summary file against the SEC's CSVW metadata (empty when it conforms).

    Checks: ASCII, CRLF record ends, the header (names and order), the primary key (non-empty, unique), every
    non-empty cell against its column's ``format`` pattern and ``minimum`` / ``maximum`` / ``exclusiveMaximum``, and
    no empty required field. A column marked ``"required": true`` may be empty only where the metadata lists the
    empty string among its ``null`` values (AvgEFQPct and AvgRealSprdPct15sec: the SEC's own sample leaves E/Q
    empty where the quoted spread is zero), or in a record whose orders executed nothing: there the specification's
    footnote 2 says the entity "would only provide values for the designated participant code, the reporting
    entity code, the S&P 500 flag, the order type, the order size category, the average order size, and the
    average notional order size fields" and "leave the other fields empty" (such a record has every field of
    Rule 605(a)(2)(iii)-(xii) empty).
    """
    meta = json.loads(Path(metadata_path).read_text(encoding="utf-8"))
    schema = meta["tables"][0]["tableSchema"]
    columns = schema["columns"]
    names = [c["name"] for c in columns]
    problems = []
    try:
        text = data.decode("ascii")
    except UnicodeDecodeError:
        return ["not ASCII"]
    if not text.endswith("\r\n") or text.replace("\r\n", "").count("\n") or text.replace("\r\n", "").count("\r"):
        problems.append("records must each end with CRLF")
    records = [line.split(",") for line in text.splitlines()]
    if not records or records[0] != names:
        return [*problems, f"header {records[0] if records else None} is not {names}"]
    seen: dict[tuple[str, ...], int] = {}
    key = [names.index(k) for k in schema.get("primaryKey", [])]
    execution = [names.index(k) for k in OES_EXECUTION_FIELDS if k in names]
    for i, rec in enumerate(records[1:], start=2):
        if len(rec) != len(names):
            problems.append(f"record {i}: {len(rec)} fields, expected {len(names)}")
            continue
        k = tuple(rec[j] for j in key)
        if any(not v for v in k):
            problems.append(f"record {i}: empty primary-key field")
        if k in seen:
            problems.append(f"record {i}: primary key {k} repeats record {seen[k]}")
        seen[k] = i
        no_executions = bool(execution) and all(not rec[j] for j in execution)
        for j, (col, value) in enumerate(zip(columns, rec, strict=True)):
            if value:
                problems += [f"record {i}, {col['name']}: {p}" for p in _check_cell(value, col["datatype"])]
            elif col.get("required") and "" not in col.get("null", []) and not (no_executions and j in execution):
                problems.append(f"record {i}, {col['name']}: required field is empty")
    return problems


def _check_cell(value: str, datatype: dict[str, Any]) -> list[str]:
    out = []
    pattern = datatype.get("format")
    if pattern and not re.fullmatch(pattern, value):
        out.append(f"{value!r} does not match {pattern!r}")
    if datatype.get("base") in ("int", "float"):
        try:
            x = float(value)
        except ValueError:
            return [*out, f"{value!r} is not a number"]
        if "minimum" in datatype and x < datatype["minimum"]:
            out.append(f"{value} is below the minimum {datatype['minimum']}")
        if "maximum" in datatype and x > datatype["maximum"]:
            out.append(f"{value} is above the maximum {datatype['maximum']}")
        if "exclusiveMaximum" in datatype and x >= datatype["exclusiveMaximum"]:
            out.append(f"{value} is not below {datatype['exclusiveMaximum']}")
    return out

