from tortoise import BaseDBAsyncClient

RUN_IN_TRANSACTION = True


async def upgrade(db: BaseDBAsyncClient) -> str:
    return """
-- Failed staff logins, kept in the database so that every app process sees them.
CREATE TABLE IF NOT EXISTS "login_failures" (
    "id" BIGSERIAL NOT NULL PRIMARY KEY,
    "email" VARCHAR(254) NOT NULL,
    "client" VARCHAR(64) NOT NULL,
    "at" TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS "idx_login_failures_email" ON "login_failures" ("email", "at");
CREATE INDEX IF NOT EXISTS "idx_login_failures_client" ON "login_failures" ("client", "at");
"""


async def downgrade(db: BaseDBAsyncClient) -> str:
    return """
DROP TABLE IF EXISTS "login_failures";
"""
