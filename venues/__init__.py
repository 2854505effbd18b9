"""Market mechanics as plain Python: order and event types, the books, venue rules and fee schedules.

* :mod:`venues.types`: prices, sides, orders' events (fills, quote updates, rejects, cancels, route-outs).
* :mod:`venues.book`: the price-time priority book with hidden, reserve and minimum-quantity orders.
* :mod:`venues.midpoint`: the book of midpoint-peg orders (lit venues' pegs, dark pools).
* :mod:`venues.rules`: Reg NMS rules as pure functions (ticks, round lots, midpoint, protection, improvement).
* :mod:`venues.fees`: per-share fee schedules and payment for order flow.
* :mod:`venues.venue`: venues composed of books, rules and a fee schedule (lit exchange, dark pool, wholesaler).

Nothing here knows about simpy, randomness, agents or messaging: any random draw is made by the caller and passed in.
"""
