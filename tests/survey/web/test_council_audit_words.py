"""The consultation's audit log says its recorded settings and counts in words, in the
page's language, never as stored keys and values."""

from __future__ import annotations

import httpx
import pytest

from tests.factories.council import make_consultation, make_council
from tests.factories.staff import staff_client
from tests.htmlform import text_of

pytestmark = pytest.mark.usefixtures("orm")


def audit(page: str) -> str:
    """The audit section's text on one line."""
    return " ".join(text_of(page.split('id="audit"', 1)[1]).split())


async def test_audit_log_says_the_settings_in_french(client: httpx.AsyncClient) -> None:
    council, _ = await make_council()
    consultation = await make_consultation(
        council, "majority_judgment", ["Bus", "Médecin"], quorum="3"
    )
    await staff_client(client)
    url = f"/staff/councils/{council.id}/consultations/{consultation.id}"
    text = audit((await client.get(url)).text)
    assert (
        "Consultation créée · « Consultation majority_judgment » · méthode : Jugement majoritaire"
        " · vote secret · vote définitif une fois déposé · quorum : 3 bulletins"
    ) in text
    assert "Propositions ajoutées · 2 propositions : Bus, Médecin" in text
    assert "Vote ouvert · 2 propositions" in text
    assert " = " not in text


async def test_audit_log_says_the_settings_in_english(client: httpx.AsyncClient) -> None:
    council, _ = await make_council()
    consultation = await make_consultation(
        council, "approval", ["Bus", "Médecin"], secret="0", allow_change="1"
    )
    await staff_client(client)
    url = f"/staff/councils/{council.id}/consultations/{consultation.id}?lang=en"
    text = audit((await client.get(url)).text)
    assert (
        "method: Approval voting · named ballot · votes may be changed until closing · no quorum"
    ) in text
    assert "secret" not in text
