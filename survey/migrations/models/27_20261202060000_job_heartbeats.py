from tortoise import BaseDBAsyncClient

RUN_IN_TRANSACTION = True


async def upgrade(db: BaseDBAsyncClient) -> str:
    return """
-- A running job's worker writes its heartbeat: one whose heartbeat is old was left by a
-- stopped worker and is queued again, at most a few times (stalls).
ALTER TABLE "jobs" ADD COLUMN IF NOT EXISTS "heartbeat_at" TIMESTAMPTZ;
ALTER TABLE "jobs" ADD COLUMN IF NOT EXISTS "stalls" INT NOT NULL DEFAULT 0;
UPDATE "jobs" SET "heartbeat_at" = "started_at" WHERE "state" = 'running';
CREATE INDEX IF NOT EXISTS "idx_jobs_running" ON "jobs" ("heartbeat_at") WHERE "state" = 'running';
-- Workers sleep until told that a job was queued, whichever code inserted it.
CREATE OR REPLACE FUNCTION "parlons_jobs_notify"() RETURNS trigger AS $$
BEGIN
    PERFORM pg_notify('parlons_jobs', '');
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;
DROP TRIGGER IF EXISTS "jobs_notify" ON "jobs";
CREATE TRIGGER "jobs_notify" AFTER INSERT ON "jobs"
    FOR EACH STATEMENT EXECUTE FUNCTION "parlons_jobs_notify"();
"""


async def downgrade(db: BaseDBAsyncClient) -> str:
    return """
DROP TRIGGER IF EXISTS "jobs_notify" ON "jobs";
DROP FUNCTION IF EXISTS "parlons_jobs_notify"();
DROP INDEX IF EXISTS "idx_jobs_running";
ALTER TABLE "jobs" DROP COLUMN IF EXISTS "stalls";
ALTER TABLE "jobs" DROP COLUMN IF EXISTS "heartbeat_at";
"""
