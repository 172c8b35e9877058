from tortoise import BaseDBAsyncClient

RUN_IN_TRANSACTION = True


async def upgrade(db: BaseDBAsyncClient) -> str:
    return """
-- A question taken out of a published survey is retired, never deleted: new residents no
-- longer see it, and the answers it received stay in every export and on the responses page.
ALTER TABLE "questions" ADD COLUMN IF NOT EXISTS "retired_at" TIMESTAMPTZ;
"""


async def downgrade(db: BaseDBAsyncClient) -> str:
    return """
ALTER TABLE "questions" DROP COLUMN IF EXISTS "retired_at";
"""
