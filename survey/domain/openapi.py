"""The OpenAPI document of the read-only API and of the webhook."""

from __future__ import annotations

from typing import Any

from survey.domain.api import API_AFTER_MAX, API_PAGE_MAX
from survey.domain.definitions import SLUG_RE
from survey.enums import Channel


def openapi_document() -> dict[str, Any]:
    """The OpenAPI 3.1 description of the read-only API and of the webhook."""
    error = {"$ref": "#/components/schemas/Error"}
    bearer: list[dict[str, list[str]]] = [{"token": []}]
    reasons = {
        "400": "A query value is not an integer in its range",
        "401": "Missing or revoked token",
        "404": "No such survey",
    }

    def failures(*codes: str) -> dict[str, Any]:
        return {
            code: {
                "description": reasons[code],
                "content": {"application/json": {"schema": error}},
            }
            for code in codes
        }

    slug = {
        "name": "slug",
        "in": "path",
        "required": True,
        "schema": {"type": "string", "pattern": SLUG_RE.pattern, "maxLength": 63},
    }
    texts = {"type": "object", "properties": {"fr": {"type": "string"}, "en": {"type": "string"}}}
    response_schema = {
        "type": "object",
        "required": ["id", "submitted_at", "channel", "language", "answers"],
        "additionalProperties": False,
        "properties": {
            "id": {"type": "integer"},
            "submitted_at": {
                "type": "string",
                "format": "date-time",
                "description": "ISO 8601 with an explicit offset (+01:00).",
            },
            "channel": {"type": "string", "enum": [str(c) for c in Channel]},
            "language": {"type": "string"},
            "answers": {
                "type": "object",
                "description": "Question code → answer: a code, a list of codes, text or number.",
            },
        },
    }
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Parlons API",
            "version": "1",
            "description": (
                "Read-only access to surveys and responses. Create a token on the staff page"
                " « Jetons d'API » and send it as `Authorization: Bearer <token>`. A token"
                " has the scope `surveys:read`, for every survey or for one: another survey"
                ' is answered 404. "Log out everywhere" revokes its owner\'s tokens.'
                " Residents' receipts are never given out."
            ),
        },
        "components": {
            "securitySchemes": {"token": {"type": "http", "scheme": "bearer"}},
            "schemas": {
                "Error": {
                    "type": "object",
                    "properties": {"error": {"type": "string"}, "message": {"type": "string"}},
                },
                "Response": response_schema,
                "Survey": {
                    "type": "object",
                    "properties": {
                        "slug": {"type": "string"},
                        "title": texts,
                        "status": {"type": "string"},
                        "version": {"type": "integer"},
                        "responses": {"type": "integer"},
                    },
                },
            },
        },
        "paths": {
            "/api/surveys": {
                "get": {
                    "summary": "Every survey with its number of responses",
                    "security": bearer,
                    "responses": {
                        "200": {
                            "description": "The surveys",
                            "content": {
                                "application/json": {
                                    "schema": {
                                        "type": "array",
                                        "items": {"$ref": "#/components/schemas/Survey"},
                                    }
                                }
                            },
                        },
                        **failures("401"),
                    },
                }
            },
            "/api/surveys/{slug}": {
                "get": {
                    "summary": "A survey's definition (Parlons JSON)",
                    "security": bearer,
                    "parameters": [slug],
                    "responses": {
                        "200": {
                            "description": "The definition",
                            "content": {"application/json": {"schema": {"type": "object"}}},
                        },
                        **failures("401", "404"),
                    },
                }
            },
            "/api/surveys/{slug}/responses": {
                "get": {
                    "summary": "Responses in id order, a page at a time",
                    "security": bearer,
                    "parameters": [
                        slug,
                        {
                            "name": "after",
                            "in": "query",
                            "schema": {"type": "integer", "minimum": 0, "maximum": API_AFTER_MAX},
                            "description": "Only responses with a greater id (next_after).",
                        },
                        {
                            "name": "limit",
                            "in": "query",
                            "schema": {"type": "integer", "minimum": 1, "maximum": API_PAGE_MAX},
                        },
                    ],
                    "responses": {
                        "200": {
                            "description": "A page of responses",
                            "content": {
                                "application/json": {
                                    "schema": {
                                        "type": "object",
                                        "required": ["items", "next_after"],
                                        "properties": {
                                            "items": {
                                                "type": "array",
                                                "items": {"$ref": "#/components/schemas/Response"},
                                            },
                                            "next_after": {"type": ["integer", "null"]},
                                        },
                                    }
                                }
                            },
                        },
                        **failures("400", "401", "404"),
                    },
                }
            },
        },
        "webhooks": {
            "response.created": {
                "post": {
                    "summary": "A new response was stored",
                    "description": (
                        "Sent to each webhook of the survey. `X-Parlons-Signature` is"
                        " `sha256=` followed by the hex HMAC-SHA256, with the webhook's secret,"
                        " of `<X-Parlons-Timestamp>.<body>`. Failed deliveries are retried."
                    ),
                    "requestBody": {
                        "content": {
                            "application/json": {
                                "schema": {
                                    "type": "object",
                                    "properties": {
                                        "event": {"type": "string"},
                                        "survey": {"type": "string"},
                                        "response": {"$ref": "#/components/schemas/Response"},
                                    },
                                }
                            }
                        }
                    },
                    "responses": {"2XX": {"description": "Received"}},
                }
            }
        },
    }
