"""Ballots: the key that opens a secret ballot to its own voter's change code."""

from __future__ import annotations

import hashlib
import hmac

from survey.domain.council_ballots import change_key


def test_change_key_of_a_code_given_before_matches_the_key_stored_with_it() -> None:
    # Stored when the ballot was cast: the code as issued (16 letters, L among them).
    stored = hmac.new(b"ABCLEFGHJKLMNPQR", b"7:3", hashlib.sha256).hexdigest()
    assert change_key("abcl-efgh-jklm-npqr", 7, 3) == stored
    assert change_key("abcl-efgh-jklm-npqr", 7, 4) != stored
