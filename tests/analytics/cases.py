"""Hand-built cases whose every figure is worked out below; the tests check the code against these numbers.

Case A: one router "R", seed 1, symbol XYZ. NBBO (ms: bid / ask, mid):
    r0      0: 10.00 / 10.10  mid 10.05
    r1    700: 10.05 / 10.15  mid 10.10   (stamped with f2's execution time: f2's own quote change)
    r2   1000: 10.02 / 10.12  mid 10.07
    r3   2000: 10.04 / 10.14  mid 10.09
    r4 400000: 10.10 / 10.20  mid 10.15   (the run's last NBBO row: horizons past 400 s are NaN; P_end = 10.15)

Order 1: buy market 300 at 500 ms. B=10.00 A=10.10 m0=10.05 QS=0.10; notional 300*10.05=3015 -> 1k-5k; market.
  f1 100 @ 10.05 at 600 ms V1 removed fee 0.30;  f2 200 @ 10.10 at 700 ms V2 removed fee 0.60
  vwap = (1005 + 2020) / 300 = 10.083333; fill rate 1
  PI   f1 0.05, f2 0.00 -> 5/300 = 0.0166667; improved 100, at quote 200
  ES   f1 0.00, f2 0.10 -> 20/300 = 0.0666667
  RS50ms  f1 m(650)=10.05 -> 0; f2 m(750)=10.10 -> 0                          -> 0
  RS1s    f1 m(1600)=10.07 -> -0.04; f2 m(1700)=10.07 -> 0.06               -> (-4+12)/300 = 0.0266667
  RS15s/60s/300s  m=10.09: f1 -0.08, f2 0.02                               -> (-8+4)/300 = -0.0133333
  MO100ms f1 m(700)=10.10 (r1 is in force at 700) -> 0.05; f2 m(800)=10.10 -> 0 -> 5/300 = 0.0166667
  MO1s    f1 10.07-10.05 = 0.02; f2 10.07-10.10 = -0.03                   -> (2-6)/300 = -0.0133333
  MO5s/60s/300s  f1 0.04, f2 -0.01                                         -> (4-2)/300 = 0.0066667
  shortfall (10.083333-10.05)*300 + 0.90 = 10.90 -> /300 = 0.0363333
  first fill 100 ms, last 200 ms; fees 0.90 = 0.003/share
  at execution (quote just before): f1 mid 10.05 -> midpoint; f2 quote before 700 is r0, 10.10 > 10.05 -> far

Order 2: sell limit 500 @ 10.00 at 1500 ms. B=10.02 A=10.12 m0=10.07; 10.00 <= bid -> marketable limit;
  notional 500*10.07 = 5035 -> 5k-10k.
  f3 200 @ 10.08 at 1800 ms V1 added fee -0.40 (a rebate of 0.40)
  PI -(10.02-10.08) = 0.06 (improved 200); ES -2*(10.08-10.07) = -0.02
  RS50ms m(1850)=10.07 -> -0.02; RS1s.. m=10.09 -> 0.02
  MO100ms -(10.07-10.08) = 0.01; MO1s.. -(10.09-10.08) = -0.01
  shortfall -1*(10.08-10.07)*200 + -1*(10.15-10.07)*300 - 0.40 = -2 - 24 - 0.4 = -26.4 -> /500 = -0.0528
  fill rate 0.4; first = last = 300 ms; rebate 0.002/share; at execution mid 10.07, sell at 10.08 -> near side

Order 3: buy limit 100 @ 10.20 at 398500 ms. B=10.04 A=10.14 m0=10.09 -> marketable limit; notional 1009 -> 1k-5k.
  f4 100 @ 10.14 at 399000 ms V2 removed fee 0.30
  PI 0 (at quote); ES 0.10; RS50ms m=10.09 -> 0.10; RS1s m(400000)=10.15 (exactly the last row: observed) -> -0.02;
  RS15s.. NaN (past the data); MO100ms -0.05; MO1s 0.01; MO5s.. NaN
  shortfall (0.05*100 + 0.30)/100 = 0.053; first = last = 500 ms; at execution mid 10.09 -> far

Order 4: buy limit 200 @ 9.95 at 1200 ms. B=10.02 A=10.12 m0=10.07; 9.95 >= 10.02-0.10 -> nml_near_quote;
  notional 2014 -> 1k-5k. No fills: fill rate 0; shortfall (10.15-10.07)*200/200 = 0.08; PI etc. NaN.

Router R overall (all/all/all): orders 4, shares 1100, filled 600, fill rate 0.5454545, orders filled 0.75
  PI (5 + 12 + 0)/600 = 0.0283333; improved 300/600, at quote 300/600, outside 0
  ES (20 - 4 + 10)/600 = 0.0433333; QS 0.10; E/Q 0.4333333
  RS1s (8 + 4 - 2)/600 = 0.0166667; RS15s (-4 + 4)/500 = 0 (order 3 has none); MO1s (-4 - 2 + 1)/600 = -0.0083333
  shortfall (10.9 - 26.4 + 5.3 + 16)/1100 = 5.8/1100 = 0.0052727
  first fill ms 100, 300, 500: mean 300, median 300, p95 300 + 0.9*200 = 480
  fees 1.20, rebates 0.40, net (1.20-0.40)/600 = 0.0013333

Venues (children: V1 100 ioc + 500 day, V2 200 day + 100 ioc, V3 200 day):
  V1 routed 600 (ioc 100), executed 300 (f1 100 midpoint removed fee .30, f3 200 near added rebate .40)
     fill rate 0.5; net fee (0.30-0.40)/300 = -3.3333 cph; provided -0.40/200 = -20 cph; removed 0.30/100 = 30 cph
  V2 routed 300 (ioc 100), executed 300 far (f2, f4), net fee 0.90/300 = 30 cph
  V3 routed 200, executed 0, fill rate 0
"""

from __future__ import annotations

import pandas as pd

from tests.analytics import builders as b

CASE_A_NBBO = b.nbbo([(0, 10.00, 10.10), (700, 10.05, 10.15), (1000, 10.02, 10.12), (2000, 10.04, 10.14),
                      (400_000, 10.10, 10.20)])
CASE_A_PARENTS = b.parents([
    (1, "buy", "market", 300, None, 500),
    (2, "sell", "limit", 500, 10.00, 1500),
    (3, "buy", "limit", 100, 10.20, 398_500),
    (4, "buy", "limit", 200, 9.95, 1200),
])
CASE_A_FILLS = b.fills([
    (1, 11, "V1", 600, 100, 10.05, "removed", 0.30),
    (1, 12, "V2", 700, 200, 10.10, "removed", 0.60),
    (2, 21, "V1", 1800, 200, 10.08, "added", -0.40),
    (3, 31, "V2", 399_000, 100, 10.14, "removed", 0.30),
], sides={2: "sell"})
CASE_A_CHILDREN = b.children([
    (11, 1, "V1", "ioc", 100, 100), (12, 1, "V2", "day", 200, 200), (21, 2, "V1", "day", 500, 200),
    (31, 3, "V2", "ioc", 100, 100), (41, 4, "V3", "day", 200, 0),
])


def case_a_tables() -> dict[str, pd.DataFrame]:
    """Case A as a run folder's tables."""
    return {"parent_orders": CASE_A_PARENTS, "fills": CASE_A_FILLS, "nbbo": CASE_A_NBBO,
            "child_orders": CASE_A_CHILDREN}
