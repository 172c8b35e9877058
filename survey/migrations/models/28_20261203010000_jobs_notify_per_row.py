from tortoise import BaseDBAsyncClient

RUN_IN_TRANSACTION = True


async def upgrade(db: BaseDBAsyncClient) -> str:
    return """
-- A statement trigger fires even when the statement inserts no row, and every resident's
-- submit runs an INSERT INTO jobs for its webhooks, most often of none: each submit then
-- notified, woke every worker and took PostgreSQL's commit-time lock on the notification
-- queue, which serialises the commits of all notifying transactions. Per row, only a
-- queued job notifies (PostgreSQL folds the same notification sent several times in one
-- transaction into one).
DROP TRIGGER IF EXISTS "jobs_notify" ON "jobs";
CREATE TRIGGER "jobs_notify" AFTER INSERT ON "jobs"
    FOR EACH ROW EXECUTE FUNCTION "parlons_jobs_notify"();
"""


async def downgrade(db: BaseDBAsyncClient) -> str:
    return """
DROP TRIGGER IF EXISTS "jobs_notify" ON "jobs";
CREATE TRIGGER "jobs_notify" AFTER INSERT ON "jobs"
    FOR EACH STATEMENT EXECUTE FUNCTION "parlons_jobs_notify"();
"""
