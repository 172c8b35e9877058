from tortoise import BaseDBAsyncClient

RUN_IN_TRANSACTION = True


async def upgrade(db: BaseDBAsyncClient) -> str:
    return """
-- Each survey numbers its responses 1, 2, 3... Every path that stores a response (open
-- submissions, invitations, paper, imports) goes through this trigger, so none can forget.
-- The counter lives in a table of its own, not on the survey row: submissions lock the
-- survey row FOR SHARE, and two of them upgrading that lock to update it would deadlock.
-- It only grows, so a number is never given again after an erasure.
CREATE TABLE IF NOT EXISTS "response_counters" (
    "survey_id" INT NOT NULL PRIMARY KEY REFERENCES "surveys" ("id") ON DELETE CASCADE,
    "last" BIGINT NOT NULL
);
ALTER TABLE "responses" ADD COLUMN IF NOT EXISTS "number" BIGINT;
UPDATE "responses" r SET "number" = o.n FROM (
    SELECT "id", row_number() OVER (PARTITION BY "survey_id" ORDER BY "submitted_at", "id") AS n
    FROM "responses"
) o WHERE r."id" = o."id";
INSERT INTO "response_counters" ("survey_id", "last")
    SELECT "survey_id", max("number") FROM "responses" GROUP BY "survey_id"
    ON CONFLICT ("survey_id") DO UPDATE SET "last" = greatest(
        "response_counters"."last", EXCLUDED."last");
ALTER TABLE "responses" ALTER COLUMN "number" SET NOT NULL;
ALTER TABLE "responses" ALTER COLUMN "number" SET DEFAULT 0;
CREATE UNIQUE INDEX IF NOT EXISTS "responses_survey_number" ON "responses" ("survey_id", "number");

CREATE OR REPLACE FUNCTION "parlons_number_response"() RETURNS trigger AS $$
DECLARE
    kept BIGINT;
BEGIN
    -- A retried submission (same key) is about to be dropped by ON CONFLICT: it takes the
    -- stored row's number instead of using up a new one.
    SELECT "number" INTO kept FROM "responses" WHERE "idempotency_key" = NEW."idempotency_key";
    IF FOUND THEN
        NEW."number" := kept;
        RETURN NEW;
    END IF;
    INSERT INTO "response_counters" AS c ("survey_id", "last") VALUES (NEW."survey_id", 1)
        ON CONFLICT ("survey_id") DO UPDATE SET "last" = c."last" + 1
        RETURNING c."last" INTO NEW."number";
    RETURN NEW;
END
$$ LANGUAGE plpgsql;
DROP TRIGGER IF EXISTS "responses_number" ON "responses";
CREATE TRIGGER "responses_number" BEFORE INSERT ON "responses"
    FOR EACH ROW EXECUTE FUNCTION "parlons_number_response"();
"""


async def downgrade(db: BaseDBAsyncClient) -> str:
    return """
DROP TRIGGER IF EXISTS "responses_number" ON "responses";
DROP FUNCTION IF EXISTS "parlons_number_response"();
DROP INDEX IF EXISTS "responses_survey_number";
ALTER TABLE "responses" DROP COLUMN IF EXISTS "number";
DROP TABLE IF EXISTS "response_counters";
"""
