"""A council's audit entries in words: what each recorded setting or count means, in the
language of the page, rather than the keys and values the domain stored."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from survey.i18n import translate

# A count or a name recorded with an entry, and the phrase that says it ({n} or {value}).
_COUNTS = {
    "ballots": "council.audit_ballots",
    "paper": "council.audit_paper",
    "statements": "council.audit_statements",
    "skipped": "council.audit_skipped",
    "voters": "council.audit_voters",
    "votes": "council.audit_votes",
    "members": "council.audit_members",
    "unreachable": "council.audit_unreachable",
}
_VALUES = {
    "title": "council.audit_title",
    "name": "council.audit_title",
    "member": "council.audit_member",
    "option": "council.audit_option",
    "draw": "council.audit_draw",
    "seed": "council.audit_seed",
    "algorithm": "council.audit_algorithm",
    "software": "council.audit_software",
    "export": "council.audit_export",
}
# A yes-or-no setting: the phrase for yes, then the phrase for no.
_SWITCHES = {
    "secret": ("council.audit_secret_yes", "council.audit_secret_no"),
    "allow_change": ("council.audit_change_yes", "council.audit_change_no"),
    "quorum_reached": ("council.audit_quorum_reached", "council.audit_quorum_missed"),
}


def _phrase(key: str, value: Any, lang: str) -> str:
    if key == "method":
        return translate(
            lang, "council.audit_method", value=translate(lang, f"council.method_{value}")
        )
    if key == "quorum":
        if not value:
            return translate(lang, "council.audit_no_quorum")
        return translate(lang, "council.audit_quorum", n=int(value))
    if key == "options":
        if isinstance(value, list):
            return translate(
                lang, "council.audit_options_named", n=len(value), names=", ".join(map(str, value))
            )
        return translate(lang, "council.audit_options", n=int(value))
    if key in _SWITCHES:
        yes, no = _SWITCHES[key]
        return translate(lang, yes if value else no)
    if key in _COUNTS:
        return translate(lang, _COUNTS[key], n=int(value))
    if key in _VALUES:
        return translate(lang, _VALUES[key], value=value)
    # A key recorded by a later version of the domain is shown as stored, never hidden.
    return f"{key} = {value}"


# The order they are read in (PostgreSQL keeps a JSON object's keys in its own order).
_ORDER = (
    "title",
    "name",
    "method",
    "secret",
    "allow_change",
    "quorum",
    "options",
    "ballots",
    "paper",
    "quorum_reached",
)


def _rank(key: str) -> int:
    return _ORDER.index(key) if key in _ORDER else len(_ORDER)


def audit_details(details: Mapping[str, Any], lang: str) -> list[str]:
    """The recorded settings and counts of one audit entry, each as a phrase of ``lang``
    (``vote secret``, ``quorum : 10 bulletins``); a setting left unset is not said."""
    shown = sorted((k for k, v in details.items() if v is not None and v != ""), key=_rank)
    return [_phrase(k, details[k], lang) for k in shown]
