"""Workflows: what turns simulations into run folders and run folders into evidence.

``run`` (every router x seed of a scenario, written as one run folder), ``suite``, ``compare``, ``verify`` and
``bench``. They import the simulation, outside data, analytics and reports; only the CLI imports them.
"""
