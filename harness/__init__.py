"""The simulation and everything around it, one subpackage per concern (docs/architecture.md is the map).

``scenario`` (what to simulate) < ``sim`` (one simulated session; the only simpy user) and ``io`` (outside data in
and out) < ``analytics`` (pure functions over tables) < ``report`` < ``workflows`` (run folders) < ``cli``; a room
imports only rooms below it; ``api`` (the Python API, ``from harness import api``) sits beside ``cli``. ``errors`` and
``paths`` are the base every room may import.
"""
