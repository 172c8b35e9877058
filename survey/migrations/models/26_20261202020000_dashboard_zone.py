from tortoise import BaseDBAsyncClient

RUN_IN_TRANSACTION = True


async def upgrade(db: BaseDBAsyncClient) -> str:
    return """
-- The time zone whose days the tallies were counted in: another zone (PARLONS_TIME_ZONE
-- changed) rebuilds them, so that a day always means a day of the instance's zone. Tallies
-- built before this column existed were counted in Europe/Paris, the zone of that time.
ALTER TABLE "dashboard_state" ADD COLUMN IF NOT EXISTS "time_zone" VARCHAR(64) NOT NULL
    DEFAULT '';
UPDATE "dashboard_state" SET "time_zone" = 'Europe/Paris';
"""


async def downgrade(db: BaseDBAsyncClient) -> str:
    return """
ALTER TABLE "dashboard_state" DROP COLUMN IF EXISTS "time_zone";
"""
