"""The error every help-centre file reader raises for a file it cannot use."""

from __future__ import annotations


class LoadError(Exception):
    """A file that cannot be ingested; ``str()`` is the reason, e.g. 'empty document'."""
