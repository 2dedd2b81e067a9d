"""Participant page, its translations and the console's icons and fonts (package data)."""
