from tortoise import BaseDBAsyncClient

RUN_IN_TRANSACTION = True


async def upgrade(db: BaseDBAsyncClient) -> str:
    return """
-- A job is not taken before "run_after": a failed attempt is queued again for later instead
-- of holding the worker while it waits.
ALTER TABLE "jobs" ADD COLUMN IF NOT EXISTS "run_after" TIMESTAMPTZ NOT NULL DEFAULT now();
UPDATE "jobs" SET "run_after" = "created_at";
DROP INDEX IF EXISTS "idx_jobs_queued";
CREATE INDEX IF NOT EXISTS "idx_jobs_due" ON "jobs" ("run_after", "id") WHERE "state" = 'queued';
-- Invitation codes sent by e-mail. The address is erased once the message is sent; the keyed
-- hash stays so that the same address is not invited twice to one survey.
CREATE TABLE IF NOT EXISTS "invitation_mails" (
    "id" BIGSERIAL NOT NULL PRIMARY KEY,
    "invitation_id" BIGINT NOT NULL UNIQUE REFERENCES "invitations" ("id") ON DELETE CASCADE,
    "survey_id" INT NOT NULL REFERENCES "surveys" ("id") ON DELETE CASCADE,
    "email" VARCHAR(254),
    "email_hash" VARCHAR(64) NOT NULL,
    "masked" VARCHAR(254) NOT NULL DEFAULT '',
    "language" VARCHAR(2) NOT NULL DEFAULT 'fr',
    "sender" VARCHAR(200) NOT NULL DEFAULT '',
    "status" VARCHAR(8) NOT NULL DEFAULT 'queued',
    "attempts" INT NOT NULL DEFAULT 0,
    "error" TEXT NOT NULL DEFAULT '',
    "created_at" TIMESTAMPTZ NOT NULL DEFAULT now(),
    "sent_at" TIMESTAMPTZ,
    CONSTRAINT "uid_invitation_mails_address" UNIQUE ("survey_id", "email_hash"),
    CONSTRAINT "ck_invitation_mails_status" CHECK ("status" IN ('queued', 'sent', 'failed')),
    CONSTRAINT "ck_invitation_mails_sent_erased" CHECK ("status" <> 'sent' OR "email" IS NULL)
);
COMMENT ON TABLE "invitation_mails" IS 'Invitation codes sent by e-mail and how the sending went.';
"""


async def downgrade(db: BaseDBAsyncClient) -> str:
    return """
DROP TABLE IF EXISTS "invitation_mails";
DROP INDEX IF EXISTS "idx_jobs_due";
CREATE INDEX IF NOT EXISTS "idx_jobs_queued" ON "jobs" ("created_at") WHERE "state" = 'queued';
ALTER TABLE "jobs" DROP COLUMN IF EXISTS "run_after";
"""
