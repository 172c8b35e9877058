from tortoise import BaseDBAsyncClient

RUN_IN_TRANSACTION = True


async def upgrade(db: BaseDBAsyncClient) -> str:
    return """
-- Secret ballots wait in a pool until closing; see survey/domain/council_ballots.py.
CREATE TABLE IF NOT EXISTS "council_ballot_pool" (
    "id" UUID NOT NULL PRIMARY KEY DEFAULT gen_random_uuid(),
    "consultation_id" INT NOT NULL REFERENCES "consultations" ("id") ON DELETE CASCADE,
    "receipt" VARCHAR(16) NOT NULL UNIQUE,
    "salt" VARCHAR(32) NOT NULL,
    "marks" JSONB NOT NULL,
    -- Only the voter's change code opens this keyed hash: it names no member.
    "change_key" VARCHAR(64)
);
CREATE INDEX IF NOT EXISTS "idx_council_ballot_pool_consultation"
    ON "council_ballot_pool" ("consultation_id");
-- A secret ballot does not say whether it came on paper (the participation does).
ALTER TABLE "council_ballots" ALTER COLUMN "channel" DROP NOT NULL;
ALTER TABLE "council_ballots" ALTER COLUMN "channel" DROP DEFAULT;
-- Participations: no time of voting, no ordered key.
ALTER TABLE "council_participations" DROP COLUMN IF EXISTS "voted_at";
ALTER TABLE "council_participations" ALTER COLUMN "id" DROP DEFAULT;
ALTER TABLE "council_participations" ALTER COLUMN "id" TYPE UUID USING gen_random_uuid();
ALTER TABLE "council_participations" ALTER COLUMN "id" SET DEFAULT gen_random_uuid();
DROP SEQUENCE IF EXISTS "council_participations_id_seq";
-- Secret ballots already cast in open consultations move to the pool, and every
-- participation is written again in a random order, so that the old layout is gone.
INSERT INTO "council_ballot_pool" ("consultation_id", "receipt", "salt", "marks")
SELECT b."consultation_id", b."receipt", b."salt",
       coalesce((SELECT jsonb_object_agg(m."option_id"::text, m."value") FROM "council_marks" m
                 WHERE m."ballot_id" = b."id"), '{}'::jsonb)
FROM "council_ballots" b JOIN "consultations" k ON k."id" = b."consultation_id"
WHERE k."state" = 'open' AND k."secret" AND b."member_id" IS NULL
      AND b."polis_voter_id" IS NULL
ORDER BY random();
DELETE FROM "council_ballots" b USING "consultations" k
WHERE k."id" = b."consultation_id" AND k."state" = 'open' AND k."secret"
      AND b."member_id" IS NULL AND b."polis_voter_id" IS NULL;
UPDATE "council_ballots" b SET "channel" = NULL FROM "consultations" k
WHERE k."id" = b."consultation_id" AND k."secret" AND b."channel" IN ('web', 'paper');
CREATE TEMPORARY TABLE "participations_shuffled" ON COMMIT DROP AS
    SELECT "consultation_id", "member_id", "channel" FROM "council_participations"
    ORDER BY random();
DELETE FROM "council_participations";
INSERT INTO "council_participations" ("consultation_id", "member_id", "channel")
    SELECT "consultation_id", "member_id", "channel" FROM "participations_shuffled";
-- An API token reads surveys only (its scope), all of them or one.
ALTER TABLE "api_tokens" ADD COLUMN IF NOT EXISTS "scope" VARCHAR(32) NOT NULL
    DEFAULT 'surveys:read';
ALTER TABLE "api_tokens" ADD COLUMN IF NOT EXISTS "survey_id" INT
    REFERENCES "surveys" ("id") ON DELETE CASCADE;
"""


async def downgrade(db: BaseDBAsyncClient) -> str:
    return """
ALTER TABLE "api_tokens" DROP COLUMN IF EXISTS "survey_id";
ALTER TABLE "api_tokens" DROP COLUMN IF EXISTS "scope";
INSERT INTO "council_ballots" ("id", "consultation_id", "receipt", "salt", "channel")
    SELECT "id", "consultation_id", "receipt", "salt", 'web' FROM "council_ballot_pool";
INSERT INTO "council_marks" ("ballot_id", "option_id", "value")
    SELECT p."id", e."key"::int, e."value"::smallint
    FROM "council_ballot_pool" p, jsonb_each_text(p."marks") e;
ALTER TABLE "council_participations" ALTER COLUMN "id" DROP DEFAULT;
CREATE SEQUENCE IF NOT EXISTS "council_participations_id_seq";
ALTER TABLE "council_participations" ALTER COLUMN "id" TYPE BIGINT
    USING nextval('council_participations_id_seq');
ALTER TABLE "council_participations" ALTER COLUMN "id"
    SET DEFAULT nextval('council_participations_id_seq');
ALTER TABLE "council_participations" ADD COLUMN IF NOT EXISTS "voted_at" TIMESTAMPTZ NOT NULL
    DEFAULT now();
UPDATE "council_ballots" SET "channel" = 'web' WHERE "channel" IS NULL;
ALTER TABLE "council_ballots" ALTER COLUMN "channel" SET DEFAULT 'web';
ALTER TABLE "council_ballots" ALTER COLUMN "channel" SET NOT NULL;
DROP TABLE IF EXISTS "council_ballot_pool";
"""
