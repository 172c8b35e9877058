import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from analysis.masking import EMAIL_MARK, PHONE_MARK, mask_personal_data, normalise_text
from analysis.text import mask_personal_data as text_mask

ZWSP = "\u200b"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("écrire à jean(at)example.org svp", f"écrire à {EMAIL_MARK} svp"),
        ("écrire à jean [at] example [dot] org svp", f"écrire à {EMAIL_MARK} svp"),
        ("écrire à jean {@} example(point)fr", f"écrire à {EMAIL_MARK}"),
        ("écrire à jean @ example.org svp", f"écrire à {EMAIL_MARK} svp"),
        ("écrire à jean @ example . org svp", f"écrire à {EMAIL_MARK} svp"),
        ("écrire à jean@ example.org", f"écrire à {EMAIL_MARK}"),
        ("écrire à jean ＠ example．org", f"écrire à {EMAIL_MARK}"),
        ("écrire à ｊｅａｎ＠ｅｘａｍｐｌｅ．ｏｒｇ", f"écrire à {EMAIL_MARK}"),
        (f"écrire à jean{ZWSP}@{ZWSP}example.org", f"écrire à {EMAIL_MARK}"),
        ("write to jean at example dot org please", f"write to {EMAIL_MARK} please"),
        ("écrire à jean.dupont arobase mairie point fr", f"écrire à {EMAIL_MARK}"),
        ("Jean.Dupont+bus@Mairie-Ville.example.FR.", f"{EMAIL_MARK}."),
    ],
)
def test_mask_personal_data_obfuscated_emails(text, expected):
    assert mask_personal_data(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("mobile +33 6 12 34 56 78 merci", f"mobile {PHONE_MARK} merci"),
        ("mobile +33 (0)6 12 34 56 78", f"mobile {PHONE_MARK}"),
        ("appelez le ０６ １２ ３４ ５６ ７８", f"appelez le {PHONE_MARK}"),
        ("appelez le ０６１２３４５６７８", f"appelez le {PHONE_MARK}"),
        (f"appelez le 0{ZWSP}6{ZWSP}1{ZWSP}2{ZWSP}34{ZWSP}56{ZWSP}78", f"appelez le {PHONE_MARK}"),
        ("appelez le 06\u200c12\u206034\ufeff56\u00ad78", f"appelez le {PHONE_MARK}"),
        ("appelez le 612345678 svp", f"appelez le {PHONE_MARK} svp"),
        ("appelez le 6 12 34 56 78 svp", f"appelez le {PHONE_MARK} svp"),
        ("fixe 123456789", f"fixe {PHONE_MARK}"),
        ("appelez le 06\u00a012\u00a034\u00a056\u00a078", f"appelez le {PHONE_MARK}"),
        ("appelez le ٠٦١٢٣٤٥٦٧٨", f"appelez le {PHONE_MARK}"),
        ("0033612345678 ou 06-12-34-56-78", f"{PHONE_MARK} ou {PHONE_MARK}"),
        ("06/12/34/56/78 ou 06_12_34_56_78", f"{PHONE_MARK} ou {PHONE_MARK}"),
    ],
)
def test_mask_personal_data_obfuscated_phones(text, expected):
    assert mask_personal_data(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "En 2019 le bus 12 coûtait 1500 euros, code postal 75011, horaires 2018-2019",
        "Un budget de 150 000 000 € pour 123456789 habitants",
        "le 12/03/2024 à 18h30, 3 000 personnes, du 01_02_2023 au 2024/2025",
        "écrivez à la mairie. Merci, on se voit au point de rendez-vous",
        "more buses at night.Then a market at the square",
        "le point de vue des habitants, on se voit chez jean",
    ],
)
def test_mask_personal_data_keeps_numbers_and_words(text):
    assert mask_personal_data(text) == text


def test_text_module_delegates_to_masking():
    assert text_mask("jean(at)example.org") == EMAIL_MARK


def test_normalise_text_drops_format_characters_and_folds_digits():
    assert normalise_text(f"０{ZWSP}６\u202e＠") == "06@"


_SEPARATORS = st.sampled_from([" ", ".", "-", "/", "_", ZWSP, "\u00a0", "\u202f", "", " " + ZWSP])
_DIGIT_FORMS = st.sampled_from(["ascii", "fullwidth"])


def _write(digits: str, form: str) -> str:
    if form == "fullwidth":
        return "".join(chr(0xFF10 + int(d)) for d in digits)
    return digits


@settings(max_examples=200, deadline=None)
@given(
    mobile=st.from_regex(r"0[67][0-9]{8}", fullmatch=True),
    separator=_SEPARATORS,
    form=_DIGIT_FORMS,
    prefix=st.sampled_from(["", "+33 ", "0033 ", "+33"]),
)
def test_mask_personal_data_hides_every_french_mobile(mobile, separator, form, prefix):
    national = mobile[1:] if prefix else mobile
    pairs = [national[: len(national) % 2 or 2]] if len(national) % 2 else []
    rest = national[len(pairs[0]) :] if pairs else national
    groups = pairs + [rest[i : i + 2] for i in range(0, len(rest), 2)]
    written = separator.join(_write(g, form) for g in groups)
    text = f"Mon numéro : {prefix}{written}, merci."
    masked = mask_personal_data(text)
    assert PHONE_MARK in masked
    assert re.search(r"\d{2}", masked) is None


@settings(max_examples=200, deadline=None)
@given(
    local=st.from_regex(r"[a-z][a-z0-9._-]{0,12}[a-z0-9]", fullmatch=True),
    domain=st.from_regex(r"[a-z][a-z0-9-]{0,10}[a-z0-9]", fullmatch=True),
    tld=st.sampled_from(["fr", "org", "com", "net"]),
    at=st.sampled_from(["@", " @ ", "(at)", " [at] ", "＠", f"{ZWSP}@{ZWSP}", " at ", " arobase "]),
    dot=st.sampled_from([".", "[dot]", " (point) ", " dot ", "．", " . "]),
)
def test_mask_personal_data_hides_every_email(local, domain, tld, at, dot):
    text = f"Écrivez-moi : {local}{at}{domain}{dot}{tld} merci"
    assert mask_personal_data(text) == f"Écrivez-moi : {EMAIL_MARK} merci"
