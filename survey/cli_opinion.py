"""`parlons opinion-groups`: Pol.is-style opinion groups from a votes CSV."""

from __future__ import annotations

import argparse


def register(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Add the ``opinion-groups`` sub-command (filled in with the opinion pipeline)."""
