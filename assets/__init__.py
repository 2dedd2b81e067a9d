"""Participant page, its translations and the console\x27s icons and fonts (package data)."""
