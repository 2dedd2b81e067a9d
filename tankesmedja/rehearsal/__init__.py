"""Rehearsal clients: simulated participants that use the room as the page does.

They are clients of the room server, not part of it: :mod:`tankesmedja.rehearsal.bots` speaks
the wire protocol over a real WebSocket, :mod:`tankesmedja.rehearsal.simulate` runs a whole
session against the real server on 127.0.0.1. The console's rehearsal mode, the benchmarks and
the end-to-end tests use them.
"""
