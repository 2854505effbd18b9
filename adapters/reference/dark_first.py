"""``dark-first``: ping every dark pool at the midpoint, then route what is left lit as ``best-price`` does.

Policy
------
1. On arrival, split the parent's quantity as evenly as possible across the dark pools trading the symbol (by
   venue name; the larger shares first) and send each pool a midpoint order for its share, capped at the parent's
   limit, with minimum quantity ``min_qty``. A pool whose venue-wide minimum order size is larger than its share is left
   out and the split redone over the others. With ``rest_ns = 0`` the pings are IOC; with ``rest_ns > 0`` they rest
   as DAY orders for that long and are then cancelled.
2. When every ping has been answered, route the remainder lit exactly as ``best-price`` does (IOCs at the best
   displayed prices, split by displayed size; a limit remainder posts at its limit; no fee or rebate enters).

Source: the common broker practice of "dark first" or "dark aggregation" routing: seek midpoint (price-improved,
non-displayed) liquidity before paying the spread on a lit venue. Its costs are the time the pings take (the lit
quotes may move meanwhile) and, with small ``min_qty``, information leakage to whoever trades against the pings.
Splitting evenly (rather than sending the full size to each pool) means it can never overfill.
"""

from __future__ import annotations

from adapters.reference.common import split_evenly
from adapters.reference.dark import DarkPhaseRouter, DarkState
from venues.venue import VenueInfo


class DarkFirstRouter(DarkPhaseRouter):
    """Midpoint pings to every dark pool, then best-price lit (see the module docstring)."""

    name = "dark-first"
    description = "Midpoint pings to every dark pool (even split), then the remainder lit as best-price."

    class Params(DarkPhaseRouter.Params):
        """Parameters of ``dark-first``."""

    def _dark_allocation(self, state: DarkState, pools: list[VenueInfo]) -> list[int]:
        eligible = list(range(len(pools)))
        while eligible:
            shares = split_evenly(state.leaves, len(eligible))
            keep = [i for i, share in zip(eligible, shares, strict=True) if share >= max(pools[i].min_qty, 1)]
            if len(keep) == len(eligible):
                alloc = [0] * len(pools)
                for i, share in zip(eligible, shares, strict=True):
                    alloc[i] = share
                return alloc
            eligible = keep
        return [0] * len(pools)
