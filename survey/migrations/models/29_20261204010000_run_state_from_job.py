from tortoise import BaseDBAsyncClient

RUN_IN_TRANSACTION = True


async def upgrade(db: BaseDBAsyncClient) -> str:
    return """
-- A run's state was kept twice, on the run and on its job, and the two could disagree (a
-- stalled job queued again while its run said running). The job is now the one source: a
-- run is queued, running, failed or done as its job is. The run keeps the facts of its
-- result (finished_at, error): a run whose job row is gone reads as finished (done) when
-- it recorded an end without error, else failed (nothing will run it any more).
-- Before the column goes, finished runs' records and jobs are made to say what it said.
UPDATE "analysis_runs" SET "error" = 'analysis.failed' WHERE "state" = 'failed' AND "error" = '';
UPDATE "analysis_runs" SET "finished_at" = "created_at"
    WHERE "state" IN ('done', 'failed') AND "finished_at" IS NULL;
UPDATE "jobs" j SET "state" = ar."state", "finished_at" = coalesce(j."finished_at", ar."finished_at")
    FROM "analysis_runs" ar
    WHERE j."id" = ar."job_id" AND ar."state" IN ('done', 'failed') AND j."state" <> ar."state";
-- One run at a time per question is now kept by the starting transaction (an advisory lock
-- on the question, then a look at the active runs' jobs), no longer by this index.
DROP INDEX IF EXISTS "uid_analysis_runs_active";
ALTER TABLE "analysis_runs" DROP COLUMN IF EXISTS "state";
CREATE OR REPLACE VIEW "analysis_run_states" AS
SELECT ar."id" AS "run_id",
       coalesce(j."state", CASE WHEN ar."finished_at" IS NOT NULL AND ar."error" = ''
                                THEN 'done' ELSE 'failed' END)::varchar(16) AS "state"
FROM "analysis_runs" ar LEFT JOIN "jobs" j ON j."id" = ar."job_id";
"""


async def downgrade(db: BaseDBAsyncClient) -> str:
    return """
ALTER TABLE "analysis_runs" ADD COLUMN IF NOT EXISTS "state" VARCHAR(16) NOT NULL DEFAULT 'queued';
UPDATE "analysis_runs" ar SET "state" = s."state"
    FROM "analysis_run_states" s WHERE s."run_id" = ar."id";
DROP VIEW IF EXISTS "analysis_run_states";
CREATE UNIQUE INDEX IF NOT EXISTS "uid_analysis_runs_active"
    ON "analysis_runs" ("survey_id", "question_code") WHERE "state" IN ('queued', 'running');
"""
