"""Scenario files: the strict, typed schema of what a simulation is asked to simulate, and the routers it names.

Imported by every room above it (the simulation builds from it, analytics and reports read the resolved scenario of a
manifest); it imports only ``harness.errors``, ``venues`` and ``adapters``.
"""
