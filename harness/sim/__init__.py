"""The simulation: everything that runs inside one simulated session, and the only room that imports simpy.

The kernel (integer-nanosecond simpy environment), the market (venues, quote histories, the true NBBO, the tape), the
background participants, latency links, named random streams, generated parent-order flows, the router node that
hosts the router under test, real-time pacing, and the engine that wires them together for one router and one seed.
It may import ``harness.scenario`` (what to simulate), ``venues`` and ``adapters``; nothing above it.
"""
