"""The live session's parts, each with one owner: :class:`app.live.Live` composes them.

Every part gets what it reads when it is built (a small protocol or a callable) and imports
none of its owners, so the import graph has no cycle.
"""
