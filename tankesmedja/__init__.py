"""The top layer: the command line and composition root, and the rehearsal clients.

Nothing below imports this package: it builds the core (:mod:`app`), the room server
(:mod:`room_server`) and the console (:mod:`facilitator_ui`) and wires them together. The
import-linter ``layers`` contract in ``pyproject.toml`` states the order with no exemptions.
"""
