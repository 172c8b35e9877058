"""Invitation codes: one per resident in the invitation modes, used up by the response.

Codes are access codes (``access_codes``), shown in two groups of four. In anonymous mode a
used invitation is recorded without time nor receipt, in a table that holds no response id:
nothing links answers to a code (see ``answering``, which uses the code up).
"""

from __future__ import annotations

import segno

from survey.domain.access_codes import new_code, normalise_code
from survey.domain.db import connection
from survey.domain.definitions import SurveyDef
from survey.domain.queries import invitations
from survey.errors import Conflict, SurveyError

MAX_BATCH = 1000


def qr_svg(address: str, *, scale: int = 8) -> str:
    """A QR code of ``address`` as inline SVG, drawn here: no outside service is called."""
    qr = segno.make(address, error="m")
    # A viewBox instead of a fixed size, so that the page's CSS can scale it whole.
    return str(qr.svg_inline(scale=scale, dark="#000", light="#fff", omitsize=True))


async def create_invitations(definition: SurveyDef, count: int) -> int:
    """Generate ``count`` new codes for the survey (up to 1000 at a time)."""
    if not 1 <= count <= MAX_BATCH:
        raise SurveyError("builder.codes_count", max=MAX_BATCH)
    made = 0
    async with connection() as conn:
        while made < count:
            codes = [new_code() for _ in range(count - made)]
            made += len(await invitations.insert_codes(conn, definition.id, codes))
    return made


async def list_invitations(definition: SurveyDef, *, unused_only: bool = False) -> list[str]:
    """The survey's codes, oldest first; ``unused_only``: those still free to hand out
    (neither used nor sent to someone by e-mail)."""
    return await invitations.codes(definition.id, unused_only=unused_only)


async def invitation_counts(definition: SurveyDef) -> dict[str, int]:
    found = await invitations.counts(definition.id)
    return {"total": found.total, "used": found.used}


async def check_invitation(definition: SurveyDef, code: str) -> str:
    """The normalised code if it belongs to the survey and is still unused."""
    wanted = normalise_code(code)
    if not wanted:
        raise SurveyError("builder.invitation_missing")
    found = await invitations.state(definition.id, wanted)
    if found is None:
        raise SurveyError("builder.invitation_unknown")
    if found.used:
        raise Conflict("builder.invitation_used")
    return wanted
