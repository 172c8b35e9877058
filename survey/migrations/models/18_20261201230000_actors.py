from tortoise import BaseDBAsyncClient

RUN_IN_TRANSACTION = True


async def upgrade(db: BaseDBAsyncClient) -> str:
    return """
CREATE TABLE IF NOT EXISTS "actors" (
    "id" SERIAL NOT NULL PRIMARY KEY,
    "name" VARCHAR(200) NOT NULL,
    "kind" VARCHAR(16) NOT NULL DEFAULT 'association',
    "services" JSONB NOT NULL DEFAULT '[]',
    "skills" JSONB NOT NULL DEFAULT '[]',
    "resources" JSONB NOT NULL DEFAULT '[]',
    "themes" JSONB NOT NULL DEFAULT '[]',
    "audience" TEXT NOT NULL DEFAULT '',
    "neighbourhood" VARCHAR(64) NOT NULL DEFAULT '',
    "commune" VARCHAR(200) NOT NULL DEFAULT '',
    "address" TEXT NOT NULL DEFAULT '',
    "latitude" DOUBLE PRECISION,
    "longitude" DOUBLE PRECISION,
    "hours" TEXT NOT NULL DEFAULT '',
    "phone" VARCHAR(40) NOT NULL DEFAULT '',
    "email" VARCHAR(200) NOT NULL DEFAULT '',
    "website" VARCHAR(500) NOT NULL DEFAULT '',
    "source" VARCHAR(200) NOT NULL DEFAULT '',
    "source_key" VARCHAR(300) UNIQUE,
    "public" BOOL NOT NULL DEFAULT FALSE,
    "consent" BOOL NOT NULL DEFAULT FALSE,
    "checked_on" DATE,
    "archived" BOOL NOT NULL DEFAULT FALSE,
    "merged_into_id" INT REFERENCES "actors" ("id") ON DELETE SET NULL,
    "created_at" TIMESTAMPTZ NOT NULL DEFAULT now(),
    "updated_at" TIMESTAMPTZ NOT NULL DEFAULT now(),
    CONSTRAINT "ck_actors_kind" CHECK ("kind" IN
        ('association', 'public_service', 'business', 'third_place', 'resident', 'other')),
    CONSTRAINT "ck_actors_name" CHECK (length(btrim("name")) > 0),
    CONSTRAINT "ck_actors_latitude" CHECK ("latitude" BETWEEN -90 AND 90),
    CONSTRAINT "ck_actors_longitude" CHECK ("longitude" BETWEEN -180 AND 180),
    -- A resident is listed only with their own consent.
    CONSTRAINT "ck_actors_resident_consent" CHECK ("kind" <> 'resident' OR "consent")
);
COMMENT ON TABLE "actors" IS 'The directory of local actors and resources.';
-- The directory lists live entries by name, the public page by neighbourhood.
CREATE INDEX IF NOT EXISTS "idx_actors_live_name" ON "actors" (lower("name")) WHERE NOT "archived";
CREATE INDEX IF NOT EXISTS "idx_actors_public_place"
    ON "actors" ("neighbourhood") WHERE "public" AND NOT "archived";
CREATE TABLE IF NOT EXISTS "actor_need_links" (
    "id" SERIAL NOT NULL PRIMARY KEY,
    "actor_id" INT NOT NULL REFERENCES "actors" ("id") ON DELETE CASCADE,
    "survey_id" INT NOT NULL REFERENCES "surveys" ("id") ON DELETE CASCADE,
    "question_code" VARCHAR(64) NOT NULL,
    "need_key" VARCHAR(200) NOT NULL,
    "need_label" VARCHAR(200) NOT NULL,
    "need_id" INT,
    "state" VARCHAR(16) NOT NULL,
    "score" DOUBLE PRECISION NOT NULL DEFAULT 0,
    "reason" TEXT NOT NULL DEFAULT '',
    "action_id" INT REFERENCES "actions" ("id") ON DELETE SET NULL,
    "decided_at" TIMESTAMPTZ NOT NULL DEFAULT now(),
    CONSTRAINT "ck_actor_need_links_state" CHECK ("state" IN ('confirmed', 'rejected')),
    CONSTRAINT "uid_actor_need_links" UNIQUE ("actor_id", "survey_id", "question_code", "need_key")
);
COMMENT ON TABLE "actor_need_links" IS 'Staff decisions on actors suggested for a need.';
-- The suggestions of a need and the gap view read the decisions of one need.
CREATE INDEX IF NOT EXISTS "idx_actor_need_links_need"
    ON "actor_need_links" ("survey_id", "question_code", "need_key", "state");
CREATE TABLE IF NOT EXISTS "territory_outlines" (
    "id" SERIAL NOT NULL PRIMARY KEY,
    "filename" VARCHAR(200) NOT NULL DEFAULT '',
    "areas" JSONB NOT NULL,
    "uploaded_at" TIMESTAMPTZ NOT NULL DEFAULT now()
);
COMMENT ON TABLE "territory_outlines" IS 'Uploaded outlines of the territory; the newest is drawn.';
"""


async def downgrade(db: BaseDBAsyncClient) -> str:
    return """
DROP TABLE IF EXISTS "territory_outlines";
DROP TABLE IF EXISTS "actor_need_links";
DROP TABLE IF EXISTS "actors";
"""
