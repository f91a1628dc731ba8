"""An offline stand-in for Athom's cloud and for Homeys, for uhomey's tests.

Written from docs/protocol.md alone; it shares no code with lib/.
See tools/README.md for endpoints, options, faults and accessors.
"""
from .faults import KINDS as FAULT_KINDS
from .simulator import DEFAULT_CLIENT_SECRET, DEFAULT_PASSWORD, Simulator

__all__ = ["Simulator", "FAULT_KINDS", "DEFAULT_PASSWORD", "DEFAULT_CLIENT_SECRET"]
