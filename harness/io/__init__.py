"""Outside data in and out: parent-order files, FIX tag=value logs, LOBSTER files, and the DuckDB query layer.

Readers turn outside files into sorbench's tables and reject bad input with one line naming file, row and field:
``orders`` (parent-order CSV/Parquet files), ``fix_message`` and ``fixlog`` (FIX messages, and logs as orders and
fills), ``lobster`` (LOBSTER samples), ``order_fields`` (a firm's order ids, side codes, epoch/ISO times, tickers)
with ``vendor`` (a vendor's TCA files in sorbench's terms), and ``query`` (SQL over run folders). They import only
the rooms below them (``venues``, ``adapters``, ``harness.errors``, ``harness.scenario``); analytics and workflows
build on them.
"""
