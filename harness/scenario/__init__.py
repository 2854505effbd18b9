"""Scenario files: the strict, typed schema of what a simulation is asked to simulate, and the routers it names.

Imported by every room above it (the simulation builds from it, analytics and reports read the resolved scenario of a
manifest); it imports only ``harness.errors``, ``venues`` and ``adapters``.

Modules: :mod:`~harness.scenario.schema` (the whole file, :class:`~harness.scenario.schema.Scenario`, and loading it;
every scenario name is importable from there), the tables it composes (:mod:`~harness.scenario.market_structure`,
:mod:`~harness.scenario.latency`, :mod:`~harness.scenario.background`, :mod:`~harness.scenario.flow`,
:mod:`~harness.scenario.events`), their shared pieces (:mod:`~harness.scenario.strict`, :mod:`~harness.scenario.clock`,
:mod:`~harness.scenario.reading`) and :mod:`~harness.scenario.routers` (router classes and parameters).
"""
