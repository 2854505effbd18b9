"""The router contract and its implementations: reference policies, the registry, vendor adapters.

Depends on :mod:`venues` types only.
"""
