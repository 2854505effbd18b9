"""Market mechanics as plain Python: order and event types, the price-time book, venue rules and fee schedules.

Nothing here knows about simpy, randomness, agents or messaging.
"""
