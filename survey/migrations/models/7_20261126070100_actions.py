from tortoise import BaseDBAsyncClient

RUN_IN_TRANSACTION = True


async def upgrade(db: BaseDBAsyncClient) -> str:
    return """
CREATE TABLE IF NOT EXISTS "actions" (
    "id" SERIAL NOT NULL PRIMARY KEY,
    "need_id" INT,
    "title" VARCHAR(200) NOT NULL,
    "decision" TEXT NOT NULL DEFAULT '',
    "responsible" VARCHAR(200) NOT NULL DEFAULT '',
    "status" VARCHAR(16) NOT NULL DEFAULT 'todo',
    "due_date" DATE,
    "notes" TEXT NOT NULL DEFAULT '',
    "created_at" TIMESTAMPTZ NOT NULL DEFAULT now(),
    "updated_at" TIMESTAMPTZ NOT NULL DEFAULT now(),
    "survey_id" INT REFERENCES "surveys" ("id") ON DELETE SET NULL,
    "consultation_id" INT REFERENCES "consultations" ("id") ON DELETE SET NULL,
    CONSTRAINT "ck_actions_status" CHECK ("status" IN ('todo', 'doing', 'done', 'dropped')),
    CONSTRAINT "ck_actions_title" CHECK (length(btrim("title")) > 0)
);
COMMENT ON TABLE "actions" IS 'The action list: need, decision, who is responsible, status.';
-- The list page filters by survey and status and sorts by due date.
CREATE INDEX IF NOT EXISTS "idx_actions_survey_status"
    ON "actions" ("survey_id", "status", "due_date");
CREATE INDEX IF NOT EXISTS "idx_actions_status_due" ON "actions" ("status", "due_date");
-- The council dashboard lists the actions of its consultations.
CREATE INDEX IF NOT EXISTS "idx_actions_consultation"
    ON "actions" ("consultation_id") WHERE "consultation_id" IS NOT NULL;
"""


async def downgrade(db: BaseDBAsyncClient) -> str:
    return """
DROP TABLE IF EXISTS "actions";
"""
