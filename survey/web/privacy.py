"""Residents' own data (see or erase an answer by its receipt), accessibility statement,
and the register of processing activities for administrators."""

from __future__ import annotations

import json

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from survey.domain.followup import answer_trail
from survey.domain.privacy import erase_by_receipt, find_by_receipt, processing_register
from survey.errors import NotFound
from survey.web.common import ADMIN, PUBLIC, access, public_survey, read_form, render, time_zone


@access(PUBLIC)
async def receipt_form(request: Request) -> Response:
    definition = await public_survey(request)
    return render(request, "respondent/receipt.html", survey=definition, receipt="", error=None)


@access(PUBLIC)
async def receipt_show(request: Request) -> Response:
    definition = await public_survey(request)
    form = await read_form(request)
    receipt = str(form.get("receipt", ""))[:40]
    try:
        response = await find_by_receipt(definition, receipt)
    except NotFound as exc:
        return render(
            request,
            "respondent/receipt.html",
            status_code=404,
            survey=definition,
            receipt=receipt,
            error=exc.key,
        )
    return render(
        request,
        "respondent/receipt_answers.html",
        survey=definition,
        receipt=receipt,
        response=response,
        trail=await answer_trail(definition.id, response["id"], time_zone=time_zone(request)),
    )


@access(PUBLIC)
async def receipt_erase(request: Request) -> Response:
    definition = await public_survey(request)
    form = await read_form(request)
    receipt = str(form.get("receipt", ""))[:40]
    try:
        await erase_by_receipt(definition, receipt)
    except NotFound as exc:
        return render(
            request,
            "respondent/receipt.html",
            status_code=404,
            survey=definition,
            receipt=receipt,
            error=exc.key,
        )
    return render(request, "respondent/receipt_erased.html", survey=definition)


@access(PUBLIC)
async def accessibility(request: Request) -> Response:
    return render(request, "accessibility.html")


@access(ADMIN)
async def register(request: Request) -> Response:
    body = json.dumps(await processing_register(time_zone(request)), ensure_ascii=False, indent=1)
    return Response(
        body,
        media_type="application/json",
        headers={"Content-Disposition": 'attachment; filename="registre-traitements.json"'},
    )


routes: list[BaseRoute] = [
    Route("/s/{slug}/ma-reponse", receipt_form, methods=["GET"]),
    Route("/s/{slug}/ma-reponse", receipt_show, methods=["POST"]),
    Route("/s/{slug}/ma-reponse/effacer", receipt_erase, methods=["POST"]),
    Route("/accessibilite", accessibility, methods=["GET"]),
    Route("/staff/register", register, methods=["GET"]),
]
