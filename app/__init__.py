"""Tankesmedja domain core: model, rules, storage, protocol and exports (no Qt, no network)."""

__version__ = "0.1.0"
