"""The simulation and everything around it.

Simpy wiring, latency links, the SIP, background participants, order flows, runs, the summary and the command line.
The one package that imports simpy for the market.
"""
