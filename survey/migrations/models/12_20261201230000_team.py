from tortoise import BaseDBAsyncClient

RUN_IN_TRANSACTION = True


async def upgrade(db: BaseDBAsyncClient) -> str:
    return """
CREATE TABLE IF NOT EXISTS "user_deactivations" (
    "id" SERIAL NOT NULL PRIMARY KEY,
    "user_id" INT NOT NULL UNIQUE REFERENCES "users" ("id") ON DELETE CASCADE,
    "by" VARCHAR(254) NOT NULL,
    "at" TIMESTAMPTZ NOT NULL DEFAULT now()
);
COMMENT ON TABLE "user_deactivations" IS 'Staff accounts closed: no login, no session.';
CREATE TABLE IF NOT EXISTS "team_audit" (
    "id" BIGSERIAL NOT NULL PRIMARY KEY,
    "actor" VARCHAR(254) NOT NULL,
    "action" VARCHAR(32) NOT NULL,
    "target" VARCHAR(254) NOT NULL,
    "at" TIMESTAMPTZ NOT NULL DEFAULT now()
);
COMMENT ON TABLE "team_audit" IS 'Who created, reset or deactivated which staff account.';
CREATE INDEX IF NOT EXISTS "idx_team_audit_at" ON "team_audit" ("at");
"""


async def downgrade(db: BaseDBAsyncClient) -> str:
    return """
DROP TABLE IF EXISTS "team_audit";
DROP TABLE IF EXISTS "user_deactivations";
"""
