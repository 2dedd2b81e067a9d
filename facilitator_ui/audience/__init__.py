"""The audience window's parts: its look, its views and screens, its pages and stages.

:mod:`facilitator_ui.audience_window` composes them into the projector's window.
"""
