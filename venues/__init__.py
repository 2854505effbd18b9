"""Market mechanics as plain Python: order and event types, the books, venue rules and fee schedules.

* :mod:`venues.types`: prices, sides, orders' events (fills, quote updates, rejects, cancels, route-outs).
* :mod:`venues.book`: the price-time priority book with hidden, reserve and minimum-quantity orders; its plain path
  (limit and market orders) is in ``book.py``, its records and state in ``book_levels.py``, the hidden, reserve and
  min-qty variants in ``book_hidden.py``, the step-by-step primitives venue rules use in ``book_primitives.py`` and the
  read-only queries in ``book_queries.py``.
* :mod:`venues.midpoint`: the book of midpoint-peg orders (lit venues' pegs, dark pools).
* :mod:`venues.rules`: Reg NMS rules as pure functions (ticks, round lots, midpoint, protection, improvement).
* :mod:`venues.fees`: per-share fee schedules and payment for order flow.
* :mod:`venues.venue`: venues composed of books, rules and a fee schedule, and the protocol they share; the kinds are
  :mod:`venues.lit_venue` (a displayed exchange, its Reg NMS checks in :mod:`venues.lit_rules`),
  :mod:`venues.dark_pool` and :mod:`venues.wholesaler`; :mod:`venues.venue_info` is what routers may know of a venue.

Nothing here knows about simpy, randomness, agents or messaging: any random draw is made by the caller and passed in.
"""
