"""Exceptions that carry a user-facing message.

The CLI turns any :class:`UserError` into one line on stderr and exit code 2,
so a bad job name, season or config value never shows a Python traceback.
"""
from __future__ import annotations


class UserError(Exception):
    """Bad input from a person: exit code 2, one clear line."""

    exit_code = 2


class ConfigError(UserError):
    """A configuration key is missing, unknown or has a wrong value."""


class DataError(Exception):
    """Input data that cannot be processed and must be quarantined or dead-lettered."""
