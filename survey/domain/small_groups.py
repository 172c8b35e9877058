"""Small groups hidden: no count of 1 to threshold - 1 respondents is shown on a staff page,
nor a share computed from one."""

from __future__ import annotations

from collections.abc import Mapping


def hide_small(counts: Mapping[str, int], threshold: int) -> dict[str, int | None]:
    """Counts with every group of 1 to ``threshold - 1`` hidden (None).

    When a single group would be hidden, the next smallest one is hidden too, so the hidden
    count cannot be recovered by subtracting the others from the total.
    """
    shown: dict[str, int | None] = dict(counts)
    small = [k for k, n in counts.items() if 0 < n < threshold]
    for key in small:
        shown[key] = None
    if len(small) == 1:
        others = sorted((n, k) for k, n in counts.items() if n >= threshold)
        if others:
            shown[others[0][1]] = None
    return shown


def share(n: int | None, base: int) -> float | None:
    """``n`` out of ``base``; None when ``n`` is hidden or there is no base."""
    return None if n is None or base <= 0 else n / base
