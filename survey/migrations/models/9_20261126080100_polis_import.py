from tortoise import BaseDBAsyncClient

RUN_IN_TRANSACTION = True


async def upgrade(db: BaseDBAsyncClient) -> str:
    return """
-- Statements and ballots imported from a Pol.is export keep their Pol.is ids.
ALTER TABLE "consultation_options" ADD COLUMN IF NOT EXISTS "polis_comment_id" INT;
ALTER TABLE "council_ballots" ADD COLUMN IF NOT EXISTS "polis_voter_id" INT;
-- One statement per Pol.is comment and one ballot per Pol.is participant in a consultation.
CREATE UNIQUE INDEX IF NOT EXISTS "uid_consultation_options_polis"
    ON "consultation_options" ("consultation_id", "polis_comment_id")
    WHERE "polis_comment_id" IS NOT NULL;
CREATE UNIQUE INDEX IF NOT EXISTS "uid_council_ballots_polis"
    ON "council_ballots" ("consultation_id", "polis_voter_id")
    WHERE "polis_voter_id" IS NOT NULL;
"""


async def downgrade(db: BaseDBAsyncClient) -> str:
    return """
DROP INDEX IF EXISTS "uid_council_ballots_polis";
DROP INDEX IF EXISTS "uid_consultation_options_polis";
ALTER TABLE "council_ballots" DROP COLUMN IF EXISTS "polis_voter_id";
ALTER TABLE "consultation_options" DROP COLUMN IF EXISTS "polis_comment_id";
"""
