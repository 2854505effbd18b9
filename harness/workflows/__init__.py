"""Workflows: what turns simulations into run folders and run folders into evidence.

``run`` (every router x seed of a scenario, published as one run folder) with ``tasks`` (the simulations, in-process
or in a worker pool), ``folder`` (the tables written), ``incentive`` (payment twins) and ``provenance`` (versions,
commit, hashes); ``suite``, ``compare``, ``verify``, ``bench``, ``fix_tca`` (the TCA of a FIX log), ``vendor_tca``
(of a vendor's files) and ``lobster_stats`` (LOBSTER samples' statistics beside a run's). They import the
simulation, outside data, analytics and reports; only the CLI and the Python API (``harness.api``) import them.
"""
