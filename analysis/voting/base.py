"""What every voting method of a consultation is, and where the app finds them.

A method is one object (one module of this package) that knows its whole life: how a ballot
form is read into marks and written back, which mark stands for "nothing marked", how the
marks are counted into frozen JSON, what that count decided, and how it is presented
(tables, bars, figures). The web app and the domain ask ``METHODS[name]`` and never branch on
the method's name, so a new method is one new module added to the registry.

Everything here is plain data: marks are ``{option id: value}``, a count is a
``(ballots, options)`` integer matrix, results are JSON-ready dicts, presentation is dicts of
text and ``go.Figure`` objects whose labels come from the ``translate`` callable passed in.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np
import plotly.graph_objects as go
from numpy.typing import NDArray

Marks = dict[int, int]
RawBallot = Mapping[str, Sequence[str]]
Translate = Callable[..., str]
# One row of a decision: (place, option index, won, detail key, detail parameters).
Placing = tuple[int, int, bool, str, dict[str, Any]]
# A section of a results page, read by name in the templates.
Section = dict[str, Any]


@dataclass(frozen=True)
class BallotOption:
    """What a method needs to know of an option to read a ballot."""

    id: int
    cost: float | None = None


@dataclass(frozen=True)
class BallotError:
    """Why one field of a ballot was refused: a catalogue key and its parameters."""

    key: str
    params: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Count:
    """The ballots to count: ``matrix[b, i]`` is ballot ``b``'s mark for option ``i`` (the
    method's ``missing`` mark where there is none); ``costs`` (1.0 when unset) and ``budget``
    matter to budget methods only."""

    matrix: NDArray[np.int64]
    costs: list[float]
    budget: float


@dataclass(frozen=True)
class Decision:
    """What a count decided: a sentence (key and parameters) and the ranking behind it."""

    summary_key: str
    summary_params: dict[str, Any]
    rows: list[Placing]


@dataclass(frozen=True)
class Figure:
    """A chart of a results section with the table that says the same in text."""

    figure: go.Figure
    title: str
    header: list[str]
    rows: list[list[Any]]


class VotingMethod(Protocol):
    """One way of voting. ``results[name]`` holds the method's own part of a frozen count."""

    name: str
    # The mark a ballot carries for an option it left blank.
    missing: int
    # Fewest approved options a consultation needs before it opens.
    min_options: int
    # Options are short statements, which members may also propose while voting is open
    # (staff moderate them).
    proposals: bool
    # Options carry a cost and the consultation a budget.
    costs: bool

    def parse(
        self, options: Sequence[BallotOption], raw: RawBallot, *, budget: float | None
    ) -> tuple[Marks, dict[str, BallotError]]:
        """Marks from a ballot form, or the errors keyed by form field."""
        ...

    def as_form(self, marks: Mapping[int, int]) -> dict[str, list[str]]:
        """A stored ballot back as form values, to fill the form in again."""
        ...

    def tally(self, count: Count) -> dict[str, Any]:
        """Count the ballots into this method's JSON-ready part of the results."""
        ...

    def outcome(self, results: Mapping[str, Any], titles: list[str]) -> Decision:
        """What the frozen results decided (``titles``: one per option)."""
        ...

    def sections(
        self, results: Mapping[str, Any], labels: list[str], translate: Translate
    ) -> list[Section]:
        """The results page's sections: title, explanation, table, bars and figures."""
        ...


class Registry:
    """The voting methods by name, in the order the staff form offers them."""

    def __init__(self, *methods: VotingMethod) -> None:
        self._methods: dict[str, VotingMethod] = {m.name: m for m in methods}

    def __getitem__(self, name: str) -> VotingMethod:
        return self._methods[name]

    def __contains__(self, name: object) -> bool:
        return name in self._methods

    def __iter__(self) -> Iterator[str]:
        return iter(self._methods)

    def get(self, name: str) -> VotingMethod | None:
        return self._methods.get(name)

    def names(self) -> tuple[str, ...]:
        return tuple(self._methods)

    @contextmanager
    def added(self, method: VotingMethod) -> Iterator[VotingMethod]:
        """``method`` is known while the block runs (a method tried out, in tests)."""
        if method.name in self._methods:
            raise ValueError(f"a voting method is already named {method.name!r}")
        self._methods[method.name] = method
        try:
            yield method
        finally:
            del self._methods[method.name]


# --------------------------------------------------------------- reading ballot forms


def first_value(raw: RawBallot, name: str) -> str:
    values = raw.get(name) or [""]
    return values[0].strip()


def read_marks(
    options: Sequence[BallotOption],
    raw: RawBallot,
    prefix: str,
    mark: Callable[[str], int | BallotError | None],
) -> tuple[Marks, dict[str, BallotError]]:
    """Marks from one field per option, ``<prefix>_<option id>``: ``mark`` reads the typed
    text into the option's mark, the field's error, or None for a field left blank."""
    marks: Marks = {}
    errors: dict[str, BallotError] = {}
    for option in options:
        name = f"{prefix}_{option.id}"
        read = mark(first_value(raw, name))
        if isinstance(read, BallotError):
            errors[name] = read
        elif read is not None:
            marks[option.id] = read
    return marks, errors


def marks_as_form(
    prefix: str, marks: Mapping[int, int], text: Callable[[int], str] = str
) -> dict[str, list[str]]:
    """Marks back as the fields ``read_marks`` reads, ``text`` writing each mark."""
    return {f"{prefix}_{k}": [text(v)] for k, v in marks.items()}


# -------------------------------------------------------------------- presentation


def format_amount(value: float) -> str:
    """An amount with a thin space between thousands, no decimals when whole."""
    text = f"{value:,.0f}" if float(value).is_integer() else f"{value:,.2f}"
    return text.replace(",", "\u202f")


def pct(value: float) -> str:
    return f"{value * 100:.0f} %"


def percent(share: float) -> str:
    """A share as a whole percentage, the way decisions are worded."""
    return f"{round(100 * share)} %"


def quoted(titles: Sequence[str]) -> str:
    return ", ".join(f"« {t} »" for t in titles)


def share(part: float, whole: float) -> float:
    return part / whole if whole else 0.0


def floats(values: Any) -> list[float]:
    return [float(v) for v in np.asarray(values, dtype=float).tolist()]


def rank_rows(ranking: Sequence[Sequence[int]]) -> list[tuple[int, int]]:
    """(place, option index) in ranking order, tied options sharing the place of the first."""
    rows: list[tuple[int, int]] = []
    place = 1
    for tier in ranking:
        rows.extend((place, option) for option in tier)
        place += len(tier)
    return rows


def placings(
    places: Iterable[tuple[int, int]],
    won: Callable[[int, int], bool],
    detail: Callable[[int], tuple[str, dict[str, Any]]],
) -> list[Placing]:
    """A decision's rows from (place, option index) pairs in order: whether the option won
    (``won(place, option)``) and the detail key and parameters that say how it fared."""
    return [(place, option, won(place, option), *detail(option)) for place, option in places]


def won_options(rows: Sequence[Placing]) -> list[int]:
    """The option indexes of the rows that won, in their order."""
    return [row[1] for row in rows if row[2]]


def bar(label: str, text: str, parts: Sequence[tuple[str, float]]) -> dict[str, Any]:
    """One row of server-drawn bars: ``parts`` are (CSS class, share 0-1) laid end to end."""
    segments = []
    start = 0.0
    for css, part in parts:
        width = max(0.0, min(100.0 - start, part * 100))
        if width > 0:
            segments.append({"css": css, "x": f"{start:.1f}", "width": f"{width:.1f}"})
        start += width
    return {"label": label, "text": text, "segments": segments}
