"""The errors the data loaders raise: each message names the file (or the places looked) and
what is wrong."""

from __future__ import annotations


class DatasetError(ValueError):
    """A dataset file is corrupt, truncated, of the wrong format, or failed its download check."""


class DatasetNotFoundError(DatasetError, FileNotFoundError):
    """No complete copy of a dataset was found in any of the places looked."""
