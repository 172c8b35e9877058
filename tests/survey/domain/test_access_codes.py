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


def test_receipts_and_change_codes_use_only_the_readable_alphabet() -> None:
    receipts = [access_codes.new_receipt() for _ in range(200)]
    changes = [access_codes.new_change_code() for _ in range(200)]
    assert {len(r) for r in receipts} == {access_codes.RECEIPT_LENGTH}
    assert {len(c) for c in changes} == {access_codes.CHANGE_CODE_LENGTH}
    # 5,600 letters: an alphabet with L would show it about 175 times.
    assert set("".join(receipts + changes)) <= set(access_codes.ALPHABET)
    assert not set("".join(receipts + changes)) & set("01OIL")


def test_receipts_and_change_codes_keep_their_randomness() -> None:
    # Receipts had 10 letters of 32, change codes 16 of 32 (80 bits).
    letters = len(access_codes.ALPHABET)
    assert letters**access_codes.RECEIPT_LENGTH >= 32**10
    assert letters**access_codes.CHANGE_CODE_LENGTH >= 2**80


def test_new_code_draws_every_letter_alike() -> None:
    text = "".join(access_codes.new_code() for _ in range(2000))
    counts = {c: text.count(c) for c in access_codes.ALPHABET}
    # 16,000 letters: about 516 of each, with a standard deviation of 22.
    assert min(counts.values()) > 400
    assert max(counts.values()) < 640


def test_receipt_given_before_is_still_read_when_typed_back() -> None:
    # A receipt of the former generator: 10 letters, L among them.
    assert access_codes.normalise_receipt(" abcl-defg hl ") == "ABCLDEFGHL"
    fresh = access_codes.new_receipt()
    assert access_codes.normalise_receipt(access_codes.display_code(fresh).lower()) == fresh
    assert access_codes.normalise_receipt("ABCDEFGHJ") is None
    assert access_codes.normalise_receipt("ABCDEFGHJKMN") is None


def test_change_code_is_read_with_any_case_spaces_and_dashes() -> None:
    code = access_codes.new_change_code()
    typed = f" {access_codes.display_code(code).lower()} "
    assert access_codes.normalise_change_code(typed) == code
    # One given before: 16 letters, L among them.
    assert access_codes.normalise_change_code("abcl-efgh-jklm-npqr") == "ABCLEFGHJKLMNPQR"


def test_display_code_makes_even_groups_of_at_most_four() -> None:
    assert access_codes.display_code("ABCDEFGH") == "ABCD-EFGH"
    assert access_codes.display_code("ABCDEFGHJKMNPQRS") == "ABCD-EFGH-JKMN-PQRS"
    assert access_codes.display_code("ABCDEFGHJKMNPQRST") == "ABCD-EFGH-JKM-NPQ-RST"
    assert access_codes.display_code("ABCDEFGHJKM") == "ABCD-EFGH-JKM"
