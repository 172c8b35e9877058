from tortoise import BaseDBAsyncClient

RUN_IN_TRANSACTION = True


async def upgrade(db: BaseDBAsyncClient) -> str:
    return """
-- The key of the form that asked for a draw: a second click or a retried POST of the same
-- form finds the draw already made instead of drawing a second panel.
ALTER TABLE "sortition_draws" ADD COLUMN IF NOT EXISTS "request_key" UUID UNIQUE;
"""


async def downgrade(db: BaseDBAsyncClient) -> str:
    return """
ALTER TABLE "sortition_draws" DROP COLUMN IF EXISTS "request_key";
"""
