from tortoise import BaseDBAsyncClient

RUN_IN_TRANSACTION = True


async def upgrade(db: BaseDBAsyncClient) -> str:
    return """
-- A resident's entry made from their answer goes with it: erased by its author or purged
-- past the survey's retention, the answer takes the entry (and its links) along.
ALTER TABLE "actors" ADD COLUMN IF NOT EXISTS "response_id" BIGINT UNIQUE
    REFERENCES "responses" ("id") ON DELETE CASCADE;
"""


async def downgrade(db: BaseDBAsyncClient) -> str:
    return """
ALTER TABLE "actors" DROP COLUMN IF EXISTS "response_id";
"""
