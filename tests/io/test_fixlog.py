"""FIX log reading (harness/io/fixlog.py, harness/io/fix_message.py): a bad log is one ``file:line: problem`` error;
drop copies and resent duplicates read as their orders and fills; UTCTimestamps turn into ns since midnight.

The TCA of logs (``sorbench tca --fix-log``, the hand-worked ``data/fix/known.log``) is tests/workflows/test_fix_tca.py.
"""

from __future__ import annotations

import numpy as np
import pytest

from harness.errors import UserError
from harness.io.fix_message import format_timestamp, parse_timestamp
from harness.io.fixlog import read_fix_log

D = "8=FIX.4.4|35=D|11=O1|55=AAA|54=1|38=100|40=2|44=10.00|60=20261120-14:30:00|"
F = "8=FIX.4.4|35=8|11=O1|17=E1|150=F|39=2|55=AAA|54=1|32=100|31=10.00|30=XNAS|60=20261120-14:30:01|"


@pytest.mark.parametrize(("lines", "message"), [
    ([D, F.replace("11=O1", "11=O9")], "2: tag 11 (ClOrdID) 'O9' is not an order of this log"),
    ([D, F.replace("32=100", "32=150")], "2: tag 32 (LastQty) 150 takes order 'O1' to 150 shares, more than its 100"),
    ([D, F.replace("20261120-14:30:01", "20261121-14:30:01")],
     "2: tag 60 (TransactTime) '20261121-14:30:01' is on 2026-11-21, but the log's trading day is 2026-11-20"),
    ([D, F.replace("14:30:01", "14:29:59")], "2: the fill's time is before its order's arrival (line 1)"),
    ([D.replace("40=2", "40=3")], "1: tag 40 (OrdType) '3' is not supported (known: 1 (market), 2 (limit))"),
    ([D.replace("|44=10.00", "")], "1: NewOrderSingle of a limit order is missing tag 44 (Price)"),
    ([D.replace("54=1", "54=8")], "1: tag 54 (Side) '8' is not supported"),
    ([D, F.replace("150=F", "150=H|19=E0")], "2: tag 19 (ExecRefID) 'E0' is not a live fill of this log"),
    ([D, F, F], "3: tag 17 (ExecID) 'E1' was already reported"),
    ([D, F.replace("54=1", "54=2")], "2: tag 54 (Side) '2' differs from its order's side buy (line 1)"),
    ([D, F.replace("30=XNAS|", "12=0.1|")], "2: tag 12 (Commission) is given without tag 13 (CommType)"),
    ([D.replace("60=20261120-14:30:00", "60=20261120-25:30:00")],
     "1: tag 60 (TransactTime) is not a time of day: '20261120-25:30:00'"),
    ([D.replace("|35=D", "|35=D|x=1")], "1: field 'x=1' is not tag=value"),
    (["hello"], "1: no FIX message on this line (expected 8=FIX...)"),
    (["8=FIX.4.4|35=0|"], "no orders found"),
    # numbers no order can have (were an OverflowError traceback)
    ([D.replace("38=100", "38=" + "9" * 400)],
     "1: tag 38 (OrderQty) is not a whole number of shares 1..100000000: '99999999999999999999999999999999..."),
    ([D.replace("38=100", "38=100000000000000000000")], "1: tag 38 (OrderQty) is not a whole number of shares"),
    ([D.replace("44=10.00", "44=" + "9" * 400)], "1: tag 44 (Price) is not a positive price up to 1000000:"),
])
def test_bad_logs_name_the_line_and_the_problem(tmp_path, lines, message):
    path = tmp_path / "fix.log"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    with pytest.raises(UserError) as err:
        read_fix_log(path)
    assert str(err.value).startswith(f"{path}:") and message in str(err.value)


def test_drop_copy_without_new_order_singles_and_resent_duplicates(tmp_path):
    new = "8=FIX.4.4|35=8|11=7|17=N1|150=0|39=0|55=AAA|54=2|38=200|40=1|60=20261120-14:30:00.5|"
    fill = "8=FIX.4.4|35=8|11=7|17=E1|150=F|39=1|55=AAA|54=2|32=50|31=9.99|60=20261120-14:30:01.25|"
    path = tmp_path / "drop.log"
    path.write_text("\n".join([new, fill, fill.replace("|35=8|", "|35=8|43=Y|")]) + "\n", encoding="utf-8")
    log = read_fix_log(path)
    # ClOrdID 7 is a number, so it is the parent_id; the resent (PossDupFlag) copy of E1 is not a second fill
    assert log.parents.to_dict("records") == [{
        "parent_id": 7, "client_order_id": "7", "symbol": "AAA", "side": "sell", "order_type": "market",
        "tif": "day", "qty": 200,
        "limit_price": pytest.approx(np.nan, nan_ok=True), "arrival_ts_ns": (14 * 3600 + 30 * 60) * 10**9 + 5 * 10**8}]
    assert log.fills[["parent_id", "venue", "qty", "price"]].to_dict("records") == [
        {"parent_id": 7, "venue": "UNKNOWN", "qty": 50, "price": 9.99}]
    assert log.counts["duplicates_ignored"] == 1 and log.counts["unknown_venue"] == 1


def test_timestamps_to_nanoseconds_since_midnight():
    assert parse_timestamp("20261120-14:30:00")[1] == 52_200 * 10**9
    assert parse_timestamp("20261120-14:30:00.123")[1] == 52_200 * 10**9 + 123_000_000
    assert parse_timestamp("20261120-14:30:00.123456789")[1] == 52_200 * 10**9 + 123_456_789
    day, ns = parse_timestamp("20261120-09:30:22.052539626")
    assert format_timestamp(day, ns) == "20261120-09:30:22.052539626"
    with pytest.raises(ValueError):
        parse_timestamp("20261131-14:30:00")
