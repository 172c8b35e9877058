from tortoise import BaseDBAsyncClient

RUN_IN_TRANSACTION = True


async def upgrade(db: BaseDBAsyncClient) -> str:
    return """
-- Failed logins of staff (e-mail and password) and of council members (printed code), each
-- throttled on its own; before this, only staff logins were recorded here.
ALTER TABLE "login_failures" ADD COLUMN IF NOT EXISTS "kind" VARCHAR(16) NOT NULL DEFAULT 'staff';
-- A staff session is valid while its row is here and not ended: logging out ends it on the
-- server, so a copy of the cookie is worth nothing afterwards. Only a hash of the session's
-- random id is kept.
CREATE TABLE IF NOT EXISTS "staff_sessions" (
    "id_hash" BYTEA NOT NULL PRIMARY KEY,
    "user_id" INT NOT NULL REFERENCES "users" ("id") ON DELETE CASCADE,
    "started_at" TIMESTAMPTZ NOT NULL DEFAULT now(),
    "ended_at" TIMESTAMPTZ
);
CREATE INDEX IF NOT EXISTS "idx_staff_sessions_user" ON "staff_sessions" ("user_id");
"""


async def downgrade(db: BaseDBAsyncClient) -> str:
    return """
DROP TABLE IF EXISTS "staff_sessions";
ALTER TABLE "login_failures" DROP COLUMN IF EXISTS "kind";
"""
