"""Outside data in and out: parent-order files, FIX tag=value logs, LOBSTER files, and the DuckDB query layer.

Readers turn outside files into sorbench's tables and reject bad input with one line naming file, row and field.
They import only ``harness.errors`` and ``harness.scenario``; analytics and workflows build on them.
"""
