from tortoise import BaseDBAsyncClient

RUN_IN_TRANSACTION = True


async def upgrade(db: BaseDBAsyncClient) -> str:
    return """
-- The fingerprint (SHA-256) of each responses file imported into a survey: the same file
-- again is refused with the date of its first import. Rows are recognised by their own
-- fingerprint, in the response's idempotency key.
CREATE TABLE IF NOT EXISTS "response_imports" (
    "id" BIGSERIAL NOT NULL PRIMARY KEY,
    "survey_id" INT NOT NULL REFERENCES "surveys" ("id") ON DELETE CASCADE,
    "digest" CHAR(64) NOT NULL,
    "responses" INT NOT NULL DEFAULT 0,
    "imported_at" TIMESTAMPTZ NOT NULL DEFAULT now(),
    UNIQUE ("survey_id", "digest")
);
-- A file that starts a new survey is kept, of no survey yet, while staff review the
-- questions proposed from its columns.
ALTER TABLE "uploads" ALTER COLUMN "survey_id" DROP NOT NULL;
"""


async def downgrade(db: BaseDBAsyncClient) -> str:
    return """
DROP TABLE IF EXISTS "response_imports";
DELETE FROM "uploads" WHERE "survey_id" IS NULL;
ALTER TABLE "uploads" ALTER COLUMN "survey_id" SET NOT NULL;
"""
