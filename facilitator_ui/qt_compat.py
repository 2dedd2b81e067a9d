"""Checks for defects in the Qt binding that the console cannot work around.

PySide6 6.12.0 (as installed from PyPI for CPython 3.11) hands back ``None``, ``True`` and
``False`` without taking a reference: every call of a method that returns nothing
(``QLabel.setText``, ``QApplication.processEvents``...), every ``SignalInstance.emit`` and every
empty ``QVariant`` costs the interpreter one reference to a singleton. Before Python 3.12 those
singletons are ordinary objects with a few thousand references, so a console that repaints and
retranslates for a while aborts with "Fatal Python error: none_dealloc" (or ``bool_dealloc``).
PySide6 6.11.3 does not have the defect; from Python 3.12 on the singletons are immortal and the
defect is harmless. The fix is in the dependency pin, not here; this module only makes the
problem loud instead of a crash an hour into a workshop.
"""

from __future__ import annotations

import sys
import warnings

import PySide6
from PySide6.QtCore import QObject, Signal

_PROBE_CALLS = 8


class _Probe(QObject):
    ping = Signal()


def _loses_references(singleton: object, call: object) -> bool:
    # Each call's result is dropped at once; if the binding never owned a reference to it,
    # the singleton's count drops by one per call. Immortal singletons never change count.
    before = sys.getrefcount(singleton)
    for _ in range(_PROBE_CALLS):
        call()  # type: ignore[operator]
    return before - sys.getrefcount(singleton) >= _PROBE_CALLS


def refcount_defect() -> str | None:
    """Return a description of the binding's reference-count defect, or None if it has none.

    The probe costs the interpreter a few references when the defect is there, and nothing
    otherwise.
    """
    if sys.implementation.name != "cpython":
        return None
    probe = _Probe()
    lost = [
        name
        for name, singleton, call in (
            ("None", None, lambda: probe.setObjectName("probe")),
            ("True", True, probe.ping.emit),
        )
        if _loses_references(singleton, call)
    ]
    if not lost:
        return None
    return (
        f"PySide6 {PySide6.__version__} drops references to {' and '.join(lost)} on every call; "
        f"on Python {sys.version_info.major}.{sys.version_info.minor} the console will abort "
        "after a while. Install another PySide6-Essentials version (e.g. 6.11.3)."
    )


def warn_if_defective() -> str | None:
    """Warn (RuntimeWarning) if the binding has :func:`refcount_defect`; return the message."""
    message = refcount_defect()
    if message is not None:
        warnings.warn(message, RuntimeWarning, stacklevel=2)
    return message
