from tortoise import BaseDBAsyncClient

RUN_IN_TRANSACTION = True


async def upgrade(db: BaseDBAsyncClient) -> str:
    return """
-- The other needs of an answer that speaks of several (its main need stays in
-- need_answers): rank 1 is its second need, and so on.
CREATE TABLE IF NOT EXISTS "need_mentions" (
    "id" BIGSERIAL NOT NULL PRIMARY KEY,
    "run_id" INT NOT NULL REFERENCES "analysis_runs" ("id") ON DELETE CASCADE,
    "response_id" BIGINT NOT NULL REFERENCES "responses" ("id") ON DELETE CASCADE,
    "need_id" INT NOT NULL REFERENCES "needs" ("id") ON DELETE CASCADE,
    "rank" INT NOT NULL DEFAULT 1,
    CONSTRAINT "uid_need_mentions_run_resp_need" UNIQUE ("run_id", "response_id", "need_id")
);
CREATE INDEX IF NOT EXISTS "idx_need_mentions_need" ON "need_mentions" ("need_id");
-- What the machine proposed for each answer (its need's position in the run, -1 none),
-- so that staff's review can be compared with it.
ALTER TABLE "need_answers" ADD COLUMN IF NOT EXISTS "machine_need" INT NOT NULL DEFAULT -1;
-- The need of the previous run (or wave) this one carries on.
ALTER TABLE "needs" ADD COLUMN IF NOT EXISTS "previous_id" INT;
-- Staff's review of a run: merges, splits, moves and the agreement with the machine.
ALTER TABLE "analysis_runs" ADD COLUMN IF NOT EXISTS "review" JSONB NOT NULL DEFAULT '{}';
-- Per survey: its own vocabulary of themes and the survey of the previous wave.
CREATE TABLE IF NOT EXISTS "analysis_settings" (
    "id" SERIAL NOT NULL PRIMARY KEY,
    "survey_id" INT NOT NULL UNIQUE REFERENCES "surveys" ("id") ON DELETE CASCADE,
    "vocabulary" JSONB,
    "previous_survey_id" INT REFERENCES "surveys" ("id") ON DELETE SET NULL,
    "updated_at" TIMESTAMPTZ NOT NULL DEFAULT CURRENT_TIMESTAMP
);
"""


async def downgrade(db: BaseDBAsyncClient) -> str:
    return """
DROP TABLE IF EXISTS "analysis_settings";
ALTER TABLE "analysis_runs" DROP COLUMN IF EXISTS "review";
ALTER TABLE "needs" DROP COLUMN IF EXISTS "previous_id";
ALTER TABLE "need_answers" DROP COLUMN IF EXISTS "machine_need";
DROP TABLE IF EXISTS "need_mentions";
"""
