"""Vendor SORs over FIX 4.4: the ``fix`` router, the venue gateways and the QuickFIX plumbing (docs/fix.md).

Importing this package does not import QuickFIX; the router does when it starts (``pip install 'sorbench[fix]'``).
"""

from adapters.fix.config import FixParams, GatewaySpec, VendorEndpoint
from adapters.fix.router import FixRouter, VendorFailure

__all__ = ["FixParams", "FixRouter", "GatewaySpec", "VendorEndpoint", "VendorFailure"]
