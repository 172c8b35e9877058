from tortoise import BaseDBAsyncClient

RUN_IN_TRANSACTION = True


async def upgrade(db: BaseDBAsyncClient) -> str:
    return """
-- The public follow-up page of a survey: published or not, and which parts it shows.
CREATE TABLE IF NOT EXISTS "followups" (
    "id" SERIAL NOT NULL PRIMARY KEY,
    "survey_id" INT NOT NULL UNIQUE REFERENCES "surveys" ("id") ON DELETE CASCADE,
    "published" BOOL NOT NULL DEFAULT FALSE,
    "show_needs" BOOL NOT NULL DEFAULT TRUE,
    "show_quotes" BOOL NOT NULL DEFAULT TRUE,
    "show_decisions" BOOL NOT NULL DEFAULT TRUE,
    "show_actions" BOOL NOT NULL DEFAULT TRUE,
    "published_at" TIMESTAMPTZ,
    "updated_at" TIMESTAMPTZ NOT NULL DEFAULT CURRENT_TIMESTAMP
);
"""


async def downgrade(db: BaseDBAsyncClient) -> str:
    return """
DROP TABLE IF EXISTS "followups";
"""
