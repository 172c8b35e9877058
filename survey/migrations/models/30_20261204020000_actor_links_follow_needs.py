from tortoise import BaseDBAsyncClient

RUN_IN_TRANSACTION = True

# The folding of ``analysis.text.normalise`` (accents and case folded, punctuation made
# single spaces) in SQL, cut like the old key: the key the decisions were stored under.
# Accents go first: under the C collation lower() folds ASCII letters only.
_FOLD = (
    "left(btrim(regexp_replace(lower(replace(replace(regexp_replace(normalize({0}, NFKD),"
    " '[\\u0300-\\u036f]', '', 'g'), 'œ', 'oe'), 'Œ', 'oe')), '[^[:alnum:]]+', ' ', 'g')),"
    " 200)"
)
# The newest finished run of each question: one that recorded its end without error (the
# run's state lives on its job since migration 29, which this one does not need).
_NEWEST = """
    SELECT DISTINCT ON (survey_id, question_code) id, survey_id, question_code
    FROM "analysis_runs" WHERE "finished_at" IS NOT NULL AND "error" = ''
    ORDER BY survey_id, question_code, finished_at DESC, id DESC
"""


async def upgrade(db: BaseDBAsyncClient) -> str:
    folded = _FOLD.format("coalesce(n.staff_label, n.label)")
    return f"""
-- Decisions on actors were kept under the need's folded name: renaming a need cut them
-- off. They now follow the need itself, as ballot options and actions do.
-- A decision whose need is not one of the newest run of its question was shown, until now,
-- on the newest run's need of the same name: it takes that need.
WITH newest AS ({_NEWEST}),
named AS (
    SELECT DISTINCT ON (l.id) l.id, n.id AS need_id
    FROM "actor_need_links" l
    JOIN newest r ON r.survey_id = l.survey_id AND r.question_code = l.question_code
    JOIN "needs" n ON n.run_id = r.id AND {folded} = l.need_key
    WHERE NOT EXISTS (SELECT 1 FROM "needs" c WHERE c.id = l.need_id AND c.run_id = r.id)
    ORDER BY l.id, n.position, n.id
)
UPDATE "actor_need_links" l SET "need_id" = named.need_id FROM named WHERE named.id = l.id;
-- One decision per actor and need: a confirmation first, then the newest.
DELETE FROM "actor_need_links" l WHERE l."need_id" IS NOT NULL AND EXISTS (
    SELECT 1 FROM "actor_need_links" o WHERE o."actor_id" = l."actor_id"
    AND o."need_id" = l."need_id" AND o."id" <> l."id"
    AND (o."state" = 'confirmed', o."decided_at", o."id")
        > (l."state" = 'confirmed', l."decided_at", l."id"));
ALTER TABLE "actor_need_links" DROP CONSTRAINT IF EXISTS "uid_actor_need_links";
DROP INDEX IF EXISTS "idx_actor_need_links_need";
ALTER TABLE "actor_need_links" DROP COLUMN IF EXISTS "need_key";
ALTER TABLE "actor_need_links" ADD CONSTRAINT "uid_actor_need_links_need"
    UNIQUE ("actor_id", "need_id");
-- The suggestions of a need and the gap view read the decisions of needs.
CREATE INDEX IF NOT EXISTS "idx_actor_need_links_need_state"
    ON "actor_need_links" ("need_id", "state");
"""


async def downgrade(db: BaseDBAsyncClient) -> str:
    name = (
        'coalesce((SELECT coalesce(n.staff_label, n.label) FROM "needs" n'
        " WHERE n.id = l.need_id), l.need_label)"
    )
    folded = _FOLD.format(name)
    return f"""
DROP INDEX IF EXISTS "idx_actor_need_links_need_state";
ALTER TABLE "actor_need_links" DROP CONSTRAINT IF EXISTS "uid_actor_need_links_need";
ALTER TABLE "actor_need_links" ADD COLUMN IF NOT EXISTS "need_key" VARCHAR(200);
UPDATE "actor_need_links" l SET "need_key" = {folded};
-- One decision per actor and folded name, as the old key allowed.
DELETE FROM "actor_need_links" l WHERE EXISTS (
    SELECT 1 FROM "actor_need_links" o WHERE o."actor_id" = l."actor_id"
    AND o."survey_id" = l."survey_id" AND o."question_code" = l."question_code"
    AND o."need_key" = l."need_key" AND o."id" <> l."id"
    AND (o."state" = 'confirmed', o."decided_at", o."id")
        > (l."state" = 'confirmed', l."decided_at", l."id"));
ALTER TABLE "actor_need_links" ALTER COLUMN "need_key" SET NOT NULL;
ALTER TABLE "actor_need_links" ADD CONSTRAINT "uid_actor_need_links"
    UNIQUE ("actor_id", "survey_id", "question_code", "need_key");
CREATE INDEX IF NOT EXISTS "idx_actor_need_links_need"
    ON "actor_need_links" ("survey_id", "question_code", "need_key", "state");
"""
