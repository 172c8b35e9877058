from tortoise import BaseDBAsyncClient

RUN_IN_TRANSACTION = True


async def upgrade(db: BaseDBAsyncClient) -> str:
    return """
-- Which algorithm drew each panel, from which software and version, and the chance each
-- volunteer had (when the algorithm computes it). Earlier draws used Parlons's simple one.
ALTER TABLE "sortition_draws" ADD COLUMN IF NOT EXISTS "algorithm" VARCHAR(32) NOT NULL DEFAULT 'simple';
ALTER TABLE "sortition_draws" ADD COLUMN IF NOT EXISTS "software" VARCHAR(64) NOT NULL DEFAULT '';
ALTER TABLE "sortition_draws" ADD COLUMN IF NOT EXISTS "probabilities" JSONB NOT NULL DEFAULT '{}';
"""


async def downgrade(db: BaseDBAsyncClient) -> str:
    return """
ALTER TABLE "sortition_draws" DROP COLUMN IF EXISTS "probabilities";
ALTER TABLE "sortition_draws" DROP COLUMN IF EXISTS "software";
ALTER TABLE "sortition_draws" DROP COLUMN IF EXISTS "algorithm";
"""
