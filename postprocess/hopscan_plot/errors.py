"""Errors the command line reports as one line (no traceback)."""


class HopscanError(Exception):
    """Bad input: missing or foreign file, mismatched files, unknown observable, bad option.

    The command line prints ``hopscan-plot: error: <message>`` and exits with status 2."""

    exit_status = 2


class HopscanOutputError(HopscanError):
    """A figure or table could not be written (exit status 1)."""

    exit_status = 1
