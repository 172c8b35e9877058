from tortoise import BaseDBAsyncClient

RUN_IN_TRANSACTION = True


async def upgrade(db: BaseDBAsyncClient) -> str:
    return """
ALTER TABLE "surveys" ADD COLUMN IF NOT EXISTS "opens_at" TIMESTAMPTZ,
    ADD COLUMN IF NOT EXISTS "closes_at" TIMESTAMPTZ,
    ADD COLUMN IF NOT EXISTS "access_mode" VARCHAR(16) NOT NULL DEFAULT 'open',
    ADD COLUMN IF NOT EXISTS "resume_days" INT NOT NULL DEFAULT 30;
ALTER TABLE "surveys" ADD CONSTRAINT "chk_surveys_access_mode"
    CHECK ("access_mode" IN ('open', 'invitation', 'anonymous'));
ALTER TABLE "sections" ADD COLUMN IF NOT EXISTS "settings" JSONB NOT NULL DEFAULT '{}';
CREATE TABLE IF NOT EXISTS "resume_drafts" (
    "id" BIGSERIAL NOT NULL PRIMARY KEY,
    "code" VARCHAR(16) NOT NULL UNIQUE,
    "form_values" JSONB NOT NULL DEFAULT '{}',
    "step" INT NOT NULL DEFAULT 0,
    "language" VARCHAR(2) NOT NULL DEFAULT 'fr',
    "invitation" VARCHAR(16) NOT NULL DEFAULT '',
    "created_at" TIMESTAMPTZ NOT NULL DEFAULT now(),
    "expires_at" TIMESTAMPTZ NOT NULL,
    "survey_id" INT NOT NULL REFERENCES "surveys" ("id") ON DELETE CASCADE
);
CREATE INDEX IF NOT EXISTS "idx_resume_drafts_expires" ON "resume_drafts" ("expires_at");
CREATE TABLE IF NOT EXISTS "invitations" (
    "id" BIGSERIAL NOT NULL PRIMARY KEY,
    "code" VARCHAR(16) NOT NULL UNIQUE,
    "label" VARCHAR(200) NOT NULL DEFAULT '',
    "created_at" TIMESTAMPTZ NOT NULL DEFAULT now(),
    "survey_id" INT NOT NULL REFERENCES "surveys" ("id") ON DELETE CASCADE
);
CREATE INDEX IF NOT EXISTS "idx_invitations_survey" ON "invitations" ("survey_id", "id");
-- Kept apart from "invitations" and without any response id: in anonymous mode neither the
-- time nor the receipt is written, so a response cannot be traced back to its code.
CREATE TABLE IF NOT EXISTS "invitation_uses" (
    "invitation_id" BIGINT NOT NULL PRIMARY KEY REFERENCES "invitations" ("id") ON DELETE CASCADE,
    "used_at" TIMESTAMPTZ,
    "receipt" VARCHAR(16)
);
CREATE TABLE IF NOT EXISTS "uploads" (
    "id" BIGSERIAL NOT NULL PRIMARY KEY,
    "filename" VARCHAR(200) NOT NULL DEFAULT '',
    "data" BYTEA NOT NULL,
    "created_at" TIMESTAMPTZ NOT NULL DEFAULT now(),
    "survey_id" INT NOT NULL REFERENCES "surveys" ("id") ON DELETE CASCADE,
    "user_id" INT REFERENCES "users" ("id") ON DELETE SET NULL
);
CREATE INDEX IF NOT EXISTS "idx_uploads_survey" ON "uploads" ("survey_id", "created_at");
-- Only a SHA-256 of each API token is kept: the token itself is shown once, at creation.
CREATE TABLE IF NOT EXISTS "api_tokens" (
    "id" SERIAL NOT NULL PRIMARY KEY,
    "name" VARCHAR(100) NOT NULL DEFAULT '',
    "prefix" VARCHAR(12) NOT NULL,
    "token_hash" VARCHAR(64) NOT NULL UNIQUE,
    "created_at" TIMESTAMPTZ NOT NULL DEFAULT now(),
    "last_used_at" TIMESTAMPTZ,
    "revoked_at" TIMESTAMPTZ,
    "user_id" INT NOT NULL REFERENCES "users" ("id") ON DELETE CASCADE
);
CREATE INDEX IF NOT EXISTS "idx_api_tokens_user" ON "api_tokens" ("user_id", "created_at");
CREATE TABLE IF NOT EXISTS "webhooks" (
    "id" SERIAL NOT NULL PRIMARY KEY,
    "url" VARCHAR(500) NOT NULL,
    "secret" VARCHAR(64) NOT NULL,
    "active" BOOL NOT NULL DEFAULT true,
    "created_at" TIMESTAMPTZ NOT NULL DEFAULT now(),
    "survey_id" INT NOT NULL REFERENCES "surveys" ("id") ON DELETE CASCADE
);
CREATE INDEX IF NOT EXISTS "idx_webhooks_survey" ON "webhooks" ("survey_id") WHERE "active";
CREATE TABLE IF NOT EXISTS "webhook_deliveries" (
    "id" BIGSERIAL NOT NULL PRIMARY KEY,
    "receipt" VARCHAR(16) NOT NULL,
    "attempt" INT NOT NULL DEFAULT 1,
    "status_code" INT,
    "error" TEXT NOT NULL DEFAULT '',
    "created_at" TIMESTAMPTZ NOT NULL DEFAULT now(),
    "webhook_id" INT NOT NULL REFERENCES "webhooks" ("id") ON DELETE CASCADE
);
CREATE INDEX IF NOT EXISTS "idx_webhook_deliveries_webhook"
    ON "webhook_deliveries" ("webhook_id", "created_at");
"""


async def downgrade(db: BaseDBAsyncClient) -> str:
    return """
DROP TABLE IF EXISTS "webhook_deliveries";
DROP TABLE IF EXISTS "webhooks";
DROP TABLE IF EXISTS "api_tokens";
DROP TABLE IF EXISTS "uploads";
DROP TABLE IF EXISTS "invitation_uses";
DROP TABLE IF EXISTS "invitations";
DROP TABLE IF EXISTS "resume_drafts";
ALTER TABLE "sections" DROP COLUMN IF EXISTS "settings";
ALTER TABLE "surveys" DROP CONSTRAINT IF EXISTS "chk_surveys_access_mode";
ALTER TABLE "surveys" DROP COLUMN IF EXISTS "resume_days", DROP COLUMN IF EXISTS "access_mode",
    DROP COLUMN IF EXISTS "closes_at", DROP COLUMN IF EXISTS "opens_at";
"""
