from tortoise import BaseDBAsyncClient

RUN_IN_TRANSACTION = True


async def upgrade(db: BaseDBAsyncClient) -> str:
    return """
-- Dashboard tallies: counts per day, channel, territory and age band (both '*' = all),
-- question code and answer value. Their size grows with days and answer values, not with
-- responses, so a dashboard page costs the same at 1,000 or 100,000 responses.
-- code = '' counts responses; value = '' counts people who answered the question;
-- total is the sum of rank positions (ranking questions).
CREATE TABLE IF NOT EXISTS "dashboard_tallies" (
    "survey_id" INT NOT NULL REFERENCES "surveys" ("id") ON DELETE CASCADE,
    "territory" TEXT NOT NULL,
    "age" TEXT NOT NULL,
    "day" DATE NOT NULL,
    "channel" VARCHAR(8) NOT NULL,
    "code" VARCHAR(64) NOT NULL,
    "value" TEXT NOT NULL,
    "n" BIGINT NOT NULL DEFAULT 0,
    "total" DOUBLE PRECISION NOT NULL DEFAULT 0,
    CONSTRAINT "pk_dashboard_tallies" PRIMARY KEY
        ("survey_id", "territory", "age", "day", "channel", "code", "value")
);
-- Which questions are the territory and age dimensions of a survey's tallies, and whether
-- the tallies must be rebuilt (a response was changed or deleted).
CREATE TABLE IF NOT EXISTS "dashboard_state" (
    "survey_id" INT NOT NULL PRIMARY KEY REFERENCES "surveys" ("id") ON DELETE CASCADE,
    "territory_code" VARCHAR(64) NOT NULL DEFAULT '',
    "age_code" VARCHAR(64) NOT NULL DEFAULT '',
    "stale" BOOL NOT NULL DEFAULT false,
    "built_at" TIMESTAMPTZ NOT NULL DEFAULT now()
);
-- Responses not yet counted in the tallies. A row lands here in the transaction that
-- stores the response, so folding it in later neither misses nor double-counts it,
-- whatever the commit order.
CREATE TABLE IF NOT EXISTS "dashboard_pending" (
    "survey_id" INT NOT NULL REFERENCES "surveys" ("id") ON DELETE CASCADE,
    "response_id" BIGINT NOT NULL
);
CREATE INDEX IF NOT EXISTS "idx_dashboard_pending_survey" ON "dashboard_pending" ("survey_id");

CREATE OR REPLACE FUNCTION "dashboard_queue_responses"() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO "dashboard_pending" ("survey_id", "response_id")
    SELECT "survey_id", "id" FROM "new_rows";
    RETURN NULL;
END;
$$;
CREATE OR REPLACE FUNCTION "dashboard_mark_stale"() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    UPDATE "dashboard_state" SET "stale" = true
    WHERE "survey_id" IN (SELECT DISTINCT "survey_id" FROM "old_rows");
    RETURN NULL;
END;
$$;
DROP TRIGGER IF EXISTS "trg_dashboard_insert" ON "responses";
CREATE TRIGGER "trg_dashboard_insert" AFTER INSERT ON "responses"
    REFERENCING NEW TABLE AS "new_rows" FOR EACH STATEMENT
    EXECUTE FUNCTION "dashboard_queue_responses"();
DROP TRIGGER IF EXISTS "trg_dashboard_update" ON "responses";
CREATE TRIGGER "trg_dashboard_update" AFTER UPDATE ON "responses"
    REFERENCING OLD TABLE AS "old_rows" FOR EACH STATEMENT
    EXECUTE FUNCTION "dashboard_mark_stale"();
DROP TRIGGER IF EXISTS "trg_dashboard_delete" ON "responses";
CREATE TRIGGER "trg_dashboard_delete" AFTER DELETE ON "responses"
    REFERENCING OLD TABLE AS "old_rows" FOR EACH STATEMENT
    EXECUTE FUNCTION "dashboard_mark_stale"();
-- Responses already stored when this migration runs are counted by the first rebuild.
INSERT INTO "dashboard_pending" ("survey_id", "response_id")
    SELECT "survey_id", "id" FROM "responses";
"""


async def downgrade(db: BaseDBAsyncClient) -> str:
    return """
DROP TRIGGER IF EXISTS "trg_dashboard_insert" ON "responses";
DROP TRIGGER IF EXISTS "trg_dashboard_update" ON "responses";
DROP TRIGGER IF EXISTS "trg_dashboard_delete" ON "responses";
DROP FUNCTION IF EXISTS "dashboard_queue_responses"();
DROP FUNCTION IF EXISTS "dashboard_mark_stale"();
DROP TABLE IF EXISTS "dashboard_pending";
DROP TABLE IF EXISTS "dashboard_state";
DROP TABLE IF EXISTS "dashboard_tallies";
"""
