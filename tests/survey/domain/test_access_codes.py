"""The access codes printed for council members: one alphabet, read aloud without doubt."""

from __future__ import annotations

from survey.domain import access_codes


def test_new_code_uses_only_the_readable_alphabet() -> None:
    codes = [access_codes.new_code() for _ in range(200)]
    assert {len(c) for c in codes} == {access_codes.LENGTH}
    assert set("".join(codes)) <= set(access_codes.ALPHABET)
    assert not set("".join(codes)) & set("01OIL")
    assert len(set(codes)) == len(codes)


def test_normalise_code_ignores_case_spaces_and_dashes() -> None:
    assert access_codes.normalise_code(" abcd-ef gh ") == "ABCDEFGH"


def test_is_well_formed_refuses_wrong_length_or_letters() -> None:
    assert access_codes.is_well_formed("ABCDEFGH")
    assert not access_codes.is_well_formed("ABCDEFG")
    assert not access_codes.is_well_formed("ABCDEFGL")
    assert not access_codes.is_well_formed("ABCDEFG0")
