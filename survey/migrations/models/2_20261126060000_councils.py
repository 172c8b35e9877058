from tortoise import BaseDBAsyncClient

RUN_IN_TRANSACTION = True


async def upgrade(db: BaseDBAsyncClient) -> str:
    return """
CREATE TABLE IF NOT EXISTS "councils" (
    "id" SERIAL NOT NULL PRIMARY KEY,
    "name" VARCHAR(200) NOT NULL,
    "description" TEXT NOT NULL DEFAULT '',
    "created_at" TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE TABLE IF NOT EXISTS "council_members" (
    "id" SERIAL NOT NULL PRIMARY KEY,
    "name" VARCHAR(200) NOT NULL,
    "email" VARCHAR(254) NOT NULL DEFAULT '',
    "phone" VARCHAR(40) NOT NULL DEFAULT '',
    "territory" VARCHAR(100) NOT NULL DEFAULT '',
    "strata" JSONB NOT NULL DEFAULT '{}',
    "token" VARCHAR(64) NOT NULL UNIQUE,
    "code" VARCHAR(8) NOT NULL UNIQUE,
    "active" BOOL NOT NULL DEFAULT true,
    "created_at" TIMESTAMPTZ NOT NULL DEFAULT now(),
    "council_id" INT NOT NULL REFERENCES "councils" ("id") ON DELETE CASCADE
);
CREATE INDEX IF NOT EXISTS "idx_council_members_council" ON "council_members" ("council_id", "name");
CREATE TABLE IF NOT EXISTS "consultations" (
    "id" SERIAL NOT NULL PRIMARY KEY,
    "title" VARCHAR(200) NOT NULL,
    "description" TEXT NOT NULL DEFAULT '',
    "method" VARCHAR(24) NOT NULL,
    "state" VARCHAR(16) NOT NULL DEFAULT 'draft',
    "opens_at" TIMESTAMPTZ,
    "closes_at" TIMESTAMPTZ,
    "quorum" INT NOT NULL DEFAULT 0,
    "secret" BOOL NOT NULL DEFAULT true,
    "allow_change" BOOL NOT NULL DEFAULT false,
    "budget" DOUBLE PRECISION,
    "results" JSONB,
    "published" BOOL NOT NULL DEFAULT false,
    "opened_at" TIMESTAMPTZ,
    "closed_at" TIMESTAMPTZ,
    "published_at" TIMESTAMPTZ,
    "created_at" TIMESTAMPTZ NOT NULL DEFAULT now(),
    "council_id" INT NOT NULL REFERENCES "councils" ("id") ON DELETE CASCADE,
    CONSTRAINT "ck_consultations_method" CHECK ("method" IN
        ('majority_judgment', 'approval', 'ranked', 'budget', 'statements')),
    CONSTRAINT "ck_consultations_state" CHECK ("state" IN ('draft', 'open', 'closed')),
    CONSTRAINT "ck_consultations_quorum" CHECK ("quorum" >= 0)
);
CREATE INDEX IF NOT EXISTS "idx_consultations_council" ON "consultations" ("council_id", "state");
CREATE TABLE IF NOT EXISTS "consultation_options" (
    "id" SERIAL NOT NULL PRIMARY KEY,
    "position" INT NOT NULL DEFAULT 0,
    "title" VARCHAR(300) NOT NULL,
    "description" TEXT NOT NULL DEFAULT '',
    "cost" DOUBLE PRECISION,
    "need_id" INT,
    "quotes" JSONB NOT NULL DEFAULT '[]',
    "status" VARCHAR(16) NOT NULL DEFAULT 'approved',
    "created_at" TIMESTAMPTZ NOT NULL DEFAULT now(),
    "consultation_id" INT NOT NULL REFERENCES "consultations" ("id") ON DELETE CASCADE,
    "proposed_by_id" INT REFERENCES "council_members" ("id") ON DELETE SET NULL,
    CONSTRAINT "ck_consultation_options_cost" CHECK ("cost" IS NULL OR "cost" > 0)
);
CREATE INDEX IF NOT EXISTS "idx_consultation_options_consultation"
    ON "consultation_options" ("consultation_id", "position");
CREATE TABLE IF NOT EXISTS "council_participations" (
    "id" BIGSERIAL NOT NULL PRIMARY KEY,
    "channel" VARCHAR(8) NOT NULL DEFAULT 'web',
    "voted_at" TIMESTAMPTZ NOT NULL DEFAULT now(),
    "consultation_id" INT NOT NULL REFERENCES "consultations" ("id") ON DELETE CASCADE,
    "member_id" INT NOT NULL REFERENCES "council_members" ("id") ON DELETE CASCADE,
    CONSTRAINT "uid_council_participations_member" UNIQUE ("consultation_id", "member_id")
);
-- No timestamp and a random key: nothing orders a secret ballot next to its participation.
CREATE TABLE IF NOT EXISTS "council_ballots" (
    "id" UUID NOT NULL PRIMARY KEY DEFAULT gen_random_uuid(),
    "receipt" VARCHAR(16) NOT NULL UNIQUE,
    "salt" VARCHAR(32) NOT NULL,
    "channel" VARCHAR(8) NOT NULL DEFAULT 'web',
    "cast_at" TIMESTAMPTZ,
    "consultation_id" INT NOT NULL REFERENCES "consultations" ("id") ON DELETE CASCADE,
    "member_id" INT REFERENCES "council_members" ("id") ON DELETE CASCADE,
    CONSTRAINT "uid_council_ballots_member" UNIQUE ("consultation_id", "member_id")
);
CREATE INDEX IF NOT EXISTS "idx_council_ballots_consultation" ON "council_ballots" ("consultation_id");
CREATE TABLE IF NOT EXISTS "council_marks" (
    "id" BIGSERIAL NOT NULL PRIMARY KEY,
    "value" SMALLINT NOT NULL,
    "ballot_id" UUID NOT NULL REFERENCES "council_ballots" ("id") ON DELETE CASCADE,
    "option_id" INT NOT NULL REFERENCES "consultation_options" ("id") ON DELETE CASCADE,
    CONSTRAINT "uid_council_marks_ballot_option" UNIQUE ("ballot_id", "option_id")
);
CREATE INDEX IF NOT EXISTS "idx_council_marks_option" ON "council_marks" ("option_id", "value");
CREATE TABLE IF NOT EXISTS "council_audit" (
    "id" BIGSERIAL NOT NULL PRIMARY KEY,
    "actor" VARCHAR(254) NOT NULL DEFAULT '',
    "action" VARCHAR(32) NOT NULL,
    "details" JSONB NOT NULL DEFAULT '{}',
    "at" TIMESTAMPTZ NOT NULL DEFAULT now(),
    "council_id" INT NOT NULL REFERENCES "councils" ("id") ON DELETE CASCADE,
    "consultation_id" INT REFERENCES "consultations" ("id") ON DELETE CASCADE
);
CREATE INDEX IF NOT EXISTS "idx_council_audit_council" ON "council_audit" ("council_id", "at");
CREATE INDEX IF NOT EXISTS "idx_council_audit_consultation" ON "council_audit" ("consultation_id", "at");
"""


async def downgrade(db: BaseDBAsyncClient) -> str:
    return """
DROP TABLE IF EXISTS "council_audit";
DROP TABLE IF EXISTS "council_marks";
DROP TABLE IF EXISTS "council_ballots";
DROP TABLE IF EXISTS "council_participations";
DROP TABLE IF EXISTS "consultation_options";
DROP TABLE IF EXISTS "consultations";
DROP TABLE IF EXISTS "council_members";
DROP TABLE IF EXISTS "councils";
"""
