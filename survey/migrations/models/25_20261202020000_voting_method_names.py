from tortoise import BaseDBAsyncClient

RUN_IN_TRANSACTION = True


async def upgrade(db: BaseDBAsyncClient) -> str:
    return """
-- The voting methods are those of the registry in analysis.voting, which the domain checks
-- when a consultation is created: a new method is a new module, with no migration of its own.
ALTER TABLE "consultations" DROP CONSTRAINT IF EXISTS "ck_consultations_method";
"""


async def downgrade(db: BaseDBAsyncClient) -> str:
    return """
ALTER TABLE "consultations" ADD CONSTRAINT "ck_consultations_method" CHECK ("method" IN
    ('majority_judgment', 'approval', 'ranked', 'budget', 'statements'));
"""
