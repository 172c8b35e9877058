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
    "address" VARCHAR(500) NOT NULL DEFAULT '',
    "digest_sent_at" TIMESTAMPTZ,
    "updated_at" TIMESTAMPTZ NOT NULL DEFAULT CURRENT_TIMESTAMP
);
-- Residents who asked for news of a follow-up: no link to any answer, a random id, the day
-- only; rows are rewritten in random order each day (see followup_news.shuffle_subscribers).
CREATE TABLE IF NOT EXISTS "followup_subscribers" (
    "id" UUID NOT NULL PRIMARY KEY,
    "survey_id" INT NOT NULL REFERENCES "surveys" ("id") ON DELETE CASCADE,
    "email" VARCHAR(254) NOT NULL,
    "language" VARCHAR(2) NOT NULL DEFAULT 'fr',
    "token" VARCHAR(64) NOT NULL UNIQUE,
    "created_on" DATE NOT NULL,
    UNIQUE ("survey_id", "email")
);
"""


async def downgrade(db: BaseDBAsyncClient) -> str:
    return """
DROP TABLE IF EXISTS "followup_subscribers";
DROP TABLE IF EXISTS "followups";
"""
