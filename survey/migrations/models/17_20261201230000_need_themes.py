from tortoise import BaseDBAsyncClient

RUN_IN_TRANSACTION = True


async def upgrade(db: BaseDBAsyncClient) -> str:
    return """
-- Themes over needs: each need records the theme it belongs to (the vocabulary id, empty
-- for a theme found in the answers), the theme's label and position, and its coherence.
ALTER TABLE "needs" ADD COLUMN IF NOT EXISTS "theme_key" VARCHAR(64) NOT NULL DEFAULT '';
ALTER TABLE "needs" ADD COLUMN IF NOT EXISTS "theme_label" VARCHAR(200) NOT NULL DEFAULT '';
ALTER TABLE "needs" ADD COLUMN IF NOT EXISTS "theme_position" INT NOT NULL DEFAULT 0;
ALTER TABLE "needs" ADD COLUMN IF NOT EXISTS "coherence" DOUBLE PRECISION NOT NULL DEFAULT 0;
-- Per run: share of answers left unclassified, mean coherence, numbers of themes and needs.
ALTER TABLE "analysis_runs" ADD COLUMN IF NOT EXISTS "quality" JSONB NOT NULL DEFAULT '{}';
"""


async def downgrade(db: BaseDBAsyncClient) -> str:
    return """
ALTER TABLE "needs" DROP COLUMN IF EXISTS "theme_key";
ALTER TABLE "needs" DROP COLUMN IF EXISTS "theme_label";
ALTER TABLE "needs" DROP COLUMN IF EXISTS "theme_position";
ALTER TABLE "needs" DROP COLUMN IF EXISTS "coherence";
ALTER TABLE "analysis_runs" DROP COLUMN IF EXISTS "quality";
"""
