from tortoise import BaseDBAsyncClient

RUN_IN_TRANSACTION = True


async def upgrade(db: BaseDBAsyncClient) -> str:
    return """
-- An option made from a need takes the need's name while its consultation is a draft,
-- until staff give the option a name of their own.
ALTER TABLE "consultation_options" ADD COLUMN IF NOT EXISTS "follows_need" BOOLEAN NOT NULL
    DEFAULT false;
UPDATE "consultation_options" o SET "follows_need" = true
    FROM "consultations" k WHERE k."id" = o."consultation_id" AND k."state" = 'draft'
    AND o."need_id" IS NOT NULL;
"""


async def downgrade(db: BaseDBAsyncClient) -> str:
    return """
ALTER TABLE "consultation_options" DROP COLUMN IF EXISTS "follows_need";
"""
