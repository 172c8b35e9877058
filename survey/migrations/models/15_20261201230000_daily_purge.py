from tortoise import BaseDBAsyncClient

RUN_IN_TRANSACTION = True


async def upgrade(db: BaseDBAsyncClient) -> str:
    return """
-- A job queued at most once under a given key (a daily job's key names its day): several
-- processes scheduling the same day find the row already there.
ALTER TABLE "jobs" ADD COLUMN IF NOT EXISTS "unique_key" VARCHAR(120) UNIQUE;
"""


async def downgrade(db: BaseDBAsyncClient) -> str:
    return """
ALTER TABLE "jobs" DROP COLUMN IF EXISTS "unique_key";
"""
