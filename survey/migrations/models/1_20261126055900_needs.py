from tortoise import BaseDBAsyncClient

RUN_IN_TRANSACTION = True


async def upgrade(db: BaseDBAsyncClient) -> str:
    return """
CREATE TABLE IF NOT EXISTS "analysis_runs" (
    "id" SERIAL NOT NULL PRIMARY KEY,
    "question_code" VARCHAR(64) NOT NULL,
    "state" VARCHAR(16) NOT NULL DEFAULT 'queued',
    "job_id" BIGINT,
    "params" JSONB NOT NULL DEFAULT '{}',
    "changes" JSONB NOT NULL DEFAULT '{}',
    "n_answers" INT NOT NULL DEFAULT 0,
    "n_non_answers" INT NOT NULL DEFAULT 0,
    "error" TEXT NOT NULL DEFAULT '',
    "created_at" TIMESTAMPTZ NOT NULL DEFAULT now(),
    "finished_at" TIMESTAMPTZ,
    "survey_id" INT NOT NULL REFERENCES "surveys" ("id") ON DELETE CASCADE
);
CREATE INDEX IF NOT EXISTS "idx_analysis_runs_question"
    ON "analysis_runs" ("survey_id", "question_code", "created_at");
-- One run at a time per question: a second queued/running run is refused by the database.
CREATE UNIQUE INDEX IF NOT EXISTS "uid_analysis_runs_active"
    ON "analysis_runs" ("survey_id", "question_code") WHERE "state" IN ('queued', 'running');
CREATE TABLE IF NOT EXISTS "needs" (
    "id" SERIAL NOT NULL PRIMARY KEY,
    "position" INT NOT NULL DEFAULT 0,
    "label" VARCHAR(200) NOT NULL,
    "staff_label" VARCHAR(200),
    "keywords" JSONB NOT NULL DEFAULT '[]',
    "quote_response_ids" JSONB NOT NULL DEFAULT '[]',
    "size" INT NOT NULL DEFAULT 0,
    "is_need" BOOL NOT NULL DEFAULT true,
    "edited" BOOL NOT NULL DEFAULT false,
    "run_id" INT NOT NULL REFERENCES "analysis_runs" ("id") ON DELETE CASCADE
);
CREATE INDEX IF NOT EXISTS "idx_needs_run" ON "needs" ("run_id", "position");
CREATE TABLE IF NOT EXISTS "need_answers" (
    "id" BIGSERIAL NOT NULL PRIMARY KEY,
    "non_answer" BOOL NOT NULL DEFAULT false,
    "x" DOUBLE PRECISION NOT NULL DEFAULT 0,
    "y" DOUBLE PRECISION NOT NULL DEFAULT 0,
    "run_id" INT NOT NULL REFERENCES "analysis_runs" ("id") ON DELETE CASCADE,
    "response_id" BIGINT NOT NULL REFERENCES "responses" ("id") ON DELETE CASCADE,
    "need_id" INT REFERENCES "needs" ("id") ON DELETE SET NULL,
    CONSTRAINT "uid_need_answers_run_response" UNIQUE ("run_id", "response_id")
);
CREATE INDEX IF NOT EXISTS "idx_need_answers_need" ON "need_answers" ("need_id");
CREATE INDEX IF NOT EXISTS "idx_need_answers_response" ON "need_answers" ("response_id");
"""


async def downgrade(db: BaseDBAsyncClient) -> str:
    return """
DROP TABLE IF EXISTS "need_answers";
DROP TABLE IF EXISTS "needs";
DROP TABLE IF EXISTS "analysis_runs";
"""
