from tortoise import BaseDBAsyncClient

RUN_IN_TRANSACTION = True


async def upgrade(db: BaseDBAsyncClient) -> str:
    return """
-- The audit record of each stratified draw of a council's panel.
CREATE TABLE IF NOT EXISTS "sortition_draws" (
    "id" SERIAL NOT NULL PRIMARY KEY,
    "council_id" INT NOT NULL REFERENCES "councils" ("id") ON DELETE CASCADE,
    "survey_id" INT NOT NULL REFERENCES "surveys" ("id") ON DELETE CASCADE,
    "question_code" VARCHAR(64) NOT NULL,
    "strata" JSONB NOT NULL DEFAULT '[]',
    "panel_size" INT NOT NULL,
    "pool_size" INT NOT NULL,
    "quotas" JSONB NOT NULL DEFAULT '{}',
    "seed" BIGINT NOT NULL,
    "selected" JSONB NOT NULL DEFAULT '[]',
    "actor" VARCHAR(254) NOT NULL DEFAULT '',
    "created_at" TIMESTAMPTZ NOT NULL DEFAULT now()
);
COMMENT ON TABLE "sortition_draws" IS 'One draw among a survey''s volunteers, kept so that anyone can check it from its seed.';
CREATE INDEX IF NOT EXISTS "idx_sortition_draws_council" ON "sortition_draws" ("council_id", "created_at");
-- Volunteers already drawn for a council are left out of its next draws.
CREATE INDEX IF NOT EXISTS "idx_sortition_draws_selected" ON "sortition_draws"
    USING gin ("selected" jsonb_path_ops);
"""


async def downgrade(db: BaseDBAsyncClient) -> str:
    return """
DROP TABLE IF EXISTS "sortition_draws";
"""
