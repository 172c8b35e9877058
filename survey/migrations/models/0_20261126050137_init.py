from tortoise import BaseDBAsyncClient

RUN_IN_TRANSACTION = True


async def upgrade(db: BaseDBAsyncClient) -> str:
    return """
        CREATE TABLE IF NOT EXISTS "jobs" (
    "id" BIGSERIAL NOT NULL PRIMARY KEY,
    "kind" VARCHAR(32) NOT NULL,
    "payload" JSONB NOT NULL,
    "state" VARCHAR(16) NOT NULL,
    "progress" DOUBLE PRECISION NOT NULL,
    "error" TEXT NOT NULL,
    "created_at" TIMESTAMPTZ NOT NULL,
    "started_at" TIMESTAMPTZ,
    "finished_at" TIMESTAMPTZ
);
COMMENT ON COLUMN "jobs"."state" IS 'QUEUED: queued\nRUNNING: running\nDONE: done\nFAILED: failed';
COMMENT ON TABLE "jobs" IS 'A background job (analysis runs), taken by workers with FOR UPDATE SKIP LOCKED.';
CREATE TABLE IF NOT EXISTS "surveys" (
    "id" SERIAL NOT NULL PRIMARY KEY,
    "slug" VARCHAR(64) NOT NULL UNIQUE,
    "title_fr" VARCHAR(200) NOT NULL,
    "title_en" VARCHAR(200) NOT NULL,
    "description_fr" TEXT NOT NULL,
    "description_en" TEXT NOT NULL,
    "status" VARCHAR(16) NOT NULL,
    "consent_fr" TEXT NOT NULL,
    "consent_en" TEXT NOT NULL,
    "retention_days" INT,
    "public_results" BOOL NOT NULL,
    "version" INT NOT NULL,
    "created_at" TIMESTAMPTZ NOT NULL,
    "updated_at" TIMESTAMPTZ NOT NULL
);
COMMENT ON COLUMN "surveys"."status" IS 'DRAFT: draft\nOPEN: open\nCLOSED: closed';
CREATE TABLE IF NOT EXISTS "responses" (
    "id" BIGSERIAL NOT NULL PRIMARY KEY,
    "idempotency_key" UUID NOT NULL UNIQUE,
    "receipt" VARCHAR(16) NOT NULL UNIQUE,
    "answers" JSONB NOT NULL,
    "language" VARCHAR(2) NOT NULL,
    "channel" VARCHAR(8) NOT NULL,
    "submitted_at" TIMESTAMPTZ NOT NULL,
    "survey_id" INT NOT NULL REFERENCES "surveys" ("id") ON DELETE CASCADE
);
CREATE INDEX IF NOT EXISTS "idx_responses_submitt_880040" ON "responses" ("submitted_at");
CREATE INDEX IF NOT EXISTS "idx_responses_survey__790e45" ON "responses" ("survey_id", "submitted_at");
COMMENT ON COLUMN "responses"."channel" IS 'WEB: web\nPAPER: paper\nIMPORT: import';
COMMENT ON TABLE "responses" IS 'One resident''s submitted answers, keyed by question code.';
CREATE TABLE IF NOT EXISTS "sections" (
    "id" SERIAL NOT NULL PRIMARY KEY,
    "position" INT NOT NULL,
    "title_fr" VARCHAR(200) NOT NULL,
    "title_en" VARCHAR(200) NOT NULL,
    "description_fr" TEXT NOT NULL,
    "description_en" TEXT NOT NULL,
    "survey_id" INT NOT NULL REFERENCES "surveys" ("id") ON DELETE CASCADE
);
CREATE TABLE IF NOT EXISTS "questions" (
    "id" SERIAL NOT NULL PRIMARY KEY,
    "position" INT NOT NULL,
    "code" VARCHAR(64) NOT NULL,
    "kind" VARCHAR(16) NOT NULL,
    "text_fr" TEXT NOT NULL,
    "text_en" TEXT NOT NULL,
    "help_fr" TEXT NOT NULL,
    "help_en" TEXT NOT NULL,
    "required" BOOL NOT NULL,
    "personal_data" BOOL NOT NULL,
    "settings" JSONB NOT NULL,
    "section_id" INT NOT NULL REFERENCES "sections" ("id") ON DELETE CASCADE
);
COMMENT ON COLUMN "questions"."kind" IS 'SINGLE: single\nMULTIPLE: multiple\nSHORT_TEXT: short_text\nLONG_TEXT: long_text\nSCALE: scale\nNUMBER: number\nYES_NO: yes_no\nDATE: date\nRANKING: ranking\nTERRITORY: territory\nCONTACT: contact';
CREATE TABLE IF NOT EXISTS "users" (
    "id" SERIAL NOT NULL PRIMARY KEY,
    "email" VARCHAR(254) NOT NULL UNIQUE,
    "password_hash" VARCHAR(255) NOT NULL,
    "role" VARCHAR(16) NOT NULL,
    "session_version" INT NOT NULL,
    "created_at" TIMESTAMPTZ NOT NULL
);
COMMENT ON COLUMN "users"."role" IS 'STAFF: staff\nADMIN: admin';
COMMENT ON TABLE "users" IS 'A staff member or administrator who logs in with e-mail and password.';
CREATE TABLE IF NOT EXISTS "aerich" (
    "id" SERIAL NOT NULL PRIMARY KEY,
    "version" VARCHAR(255) NOT NULL,
    "app" VARCHAR(100) NOT NULL,
    "content" JSONB NOT NULL
);
-- Defaults the ORM does not emit, so that plain SQL inserts (and other tools) stay valid.
ALTER TABLE "jobs" ALTER COLUMN "created_at" SET DEFAULT now(),
    ALTER COLUMN "state" SET DEFAULT 'queued', ALTER COLUMN "progress" SET DEFAULT 0,
    ALTER COLUMN "error" SET DEFAULT '', ALTER COLUMN "payload" SET DEFAULT '{}';
ALTER TABLE "responses" ALTER COLUMN "submitted_at" SET DEFAULT now(),
    ALTER COLUMN "channel" SET DEFAULT 'web', ALTER COLUMN "language" SET DEFAULT 'fr',
    ALTER COLUMN "answers" SET DEFAULT '{}';
ALTER TABLE "surveys" ALTER COLUMN "created_at" SET DEFAULT now(),
    ALTER COLUMN "updated_at" SET DEFAULT now(), ALTER COLUMN "version" SET DEFAULT 1,
    ALTER COLUMN "status" SET DEFAULT 'draft', ALTER COLUMN "public_results" SET DEFAULT false;
ALTER TABLE "users" ALTER COLUMN "created_at" SET DEFAULT now(),
    ALTER COLUMN "session_version" SET DEFAULT 1;
CREATE INDEX IF NOT EXISTS "idx_responses_answers_gin" ON "responses"
    USING gin ("answers" jsonb_path_ops);
CREATE INDEX IF NOT EXISTS "idx_jobs_queued" ON "jobs" ("created_at") WHERE "state" = 'queued';
CREATE INDEX IF NOT EXISTS "idx_questions_section" ON "questions" ("section_id", "position");
CREATE INDEX IF NOT EXISTS "idx_sections_survey" ON "sections" ("survey_id", "position");
"""


async def downgrade(db: BaseDBAsyncClient) -> str:
    return """
        """


MODELS_STATE = (
    "eJztXGlz6jgW/Ssqf5m8qnQqIWtTXVNFwHmPDgGapVe6XAIL8MRIfpLcPKon/30kbxhvwT"
    "QQYPwNrnRl+Vwt91xd629lRnRksosfyVApg78VDGdI/AiLz4ECLWsplAIOh6ZT7z9k6Ajg"
    "kHEKR1zIxtBkSIh0xEbUsLhBsKxZAUM4ep1QYmMdCDVwBjE0F8xggNqYfToHHL4iDIYLMC"
    "f0FVEG5gafgqdWB/TbtUpPBd3nehs0WtVntXYhH6qTkXiqgSc7at/GxlcbaZxMEJ8iKp7y"
    "x59CbGAdfUPM/2u9amMDmfoKfoYuG3DkGl9YjuzRmNQxf3Lqyt4PtREx7Rle1rcWfEpwoG"
    "BgLqUThBGFHMkncGpLbLFtmp4JfLjdzi6ruL0M6ehoDG1TWkhqux1YyhRNa7Z6WlftaZoS"
    "s56vEQLcE40IlpYXXWUOABPZhe++L5Wur+9Ll9d3D7c39/e3D5cPoq7T33jR/ZvbmSVabl"
    "MOZvXP9WZPdoiI4eWOOSl4c3Qgh66WY4wl+q/i5eP4V6eQJqPv14/gL14sir+PdpYBfMHS"
    "AsspsQ8TzOA3zUR4wqfi73UpA92fK53ql0rn7Lr0aRXipldScook2EtwLbgwCUzA98duq5"
    "mMb0glArFujDj4LzANFhvq24Ja+WFs45FEEQxtw+QGZhfysf9WdmSADMAlRLLlGWNfzTDQ"
    "Zy+VX6M2qDZajw5khPEJdVpxGniMGIRxgVjycFexPXNMUhc9hHiEYqYJlPc39hVR1UZ6Tv"
    "iVn/pqX62Vgas9wJ1+s1lvfi7L5R0LewxwrdVUy0AnGA3wU6XekLXH0DC9Z+WcOVd3a8yc"
    "q7vUmSOLIjOHEmlHFrfVk5geKTtDWClio7HU2pWVLi8u9z8/aq3+Y0MF7Y5arXfr3lxZeH"
    "PFLZQiITC4A0FHrTQiKCNKCY1D3EPfUhAOFPY4BT5g7empv/ay154A6Uar+dmvHl2QVsEe"
    "USSh0dxxuIp4TZRwY4aSUV/VjG4LnuqF/+MY92HxgnoLmwvPBcsyTf1F7fYqL+0V+0ifVJ"
    "aUVmeBJz2LrjxBI+CXeu8LkH/B72JFjG4hQb3e74rsE7Q50TCZa1APeYu+1EctuuPQzay+"
    "qrkFq3vdPRSjH4mRfUwyrTw2sMGmG5k5olrY+dDsLInr+DVEnqRAEug5pLoWKyElklY3Xj"
    "QrzaISQcUnjpEkmrKfXnzhJxsxD/pY7CEoO88KQHz1aq0XhUi375a5/v8L0S9d3dzfPFzf"
    "3QT8PpBk0fr3KbwY5IZv/TWhDau8D/AxeBBbwTjkrInpkycs4tc/wbDI3c0a5O7uJpXcya"
    "JVcNNjTu+T8GOIPyldQbYbgl8zgbIpGPZLv9Grt6VkJvQNS8q6X1qdniapg6g3JZRrXNCu"
    "AZaEwhObBE88abdacRocQanb7L88qh3ZtdkQ0QH+Te2K/pTBAjGxdQl2L/ZKwe4FEIL7V5"
    "rPLveH+NXh/j2106n3Wp3fxDIoCJ3BCV0McLXV7FWq4qliMHC5MWwwVLYfB5Bvr41zcdSQ"
    "yiEPkoPlqQ5+KGE3eQdylLSbFIGB9wGfItPKOcZDKgXgmwGeb4SHVArAcwNO0VfboCjpoI"
    "8QE0GcDHpYLYL6UOjtCvZAsl/kH1utxgryj/UotM62f3b1aTWwG/deLUQZwdDUJGfICXpM"
    "t0A+B/IMcS56kXBukX7kF9YpzvyyF59NzvyQ83ZartjDqlJBkb2hHouFxWCOY/xEKDIm+B"
    "ktYswugqsXzeouWzoyiN/8YeRLlSDSROE8iIdFRpf4Id4buUtKtSKoXk1V3j4mythBzBK9"
    "R0pClDEoO8+KMlKv1pq5Ti2MgFAxdIT5vxhg9nBmcGFwADGbi63oHLyihfg7XAA/fglksC"
    "We1fSPWno/pvmHwmz6F1p4Rgual3H7P4vkpoNMbhJjYWYRjvBooQnjx03R79draYaIqUas"
    "YtuGfiEb2GSh+lDjZODs5ji5EZrwxuq8Z9SpHyHx7DxR0pDKdljUx47xHce+vHUrjysZUi"
    "k8ya17kibEE1vsm3mGfFhnj5EDNza0+1G/TspkesZkLGFyNIUYI3PTw4GQ+h6xnqNhTrCV"
    "X9THMhB6A9yutGUk34KWDOTXX9qtTq8MDLH30I1C8A9rGOQh1SAPUYOsuDkxq7yTwBLR3U"
    "/i0l53gBPOWwo7u+uS5rBOwZnX4MwOYNugzEFDRwbw2ow5PLQOiTD7wYoEvhyKY6TTZS8U"
    "UOTkFDk5RU5Odk4ON7iJEg9K093vsM5JZANE3O/Ly3Uc8MvLdBdcliXhnHQ++h7OJ3NAug"
    "eUQz3Lefgf1zwBxPd9JB0GMV8qQFyzgD83/AW92NYOWdCLj6YXS8BXMuwjhz6e6tNzB5kw"
    "xc9LSOc/EcDfdsrB3OGZRMGCgZvBwJw6BQE7LQLGTHuSx4H165/cudT20/cLHlbwsIKHFT"
    "ys4GHHD7+808ROcFfXvxHFTso22CX0OoVjnhN/pdapPPXKwNEd4FZbbZYBsRAeYAFKV95+"
    "MjIJO5TbT+TjEM774dOqVjEZ8t/Q4QGYbx1a1Spg3+DrEC7wk8u4DhcJa1EqF4orbhQVOr"
    "D7ErZ9bGLZQ9MYaRQx0c2kyETm1yAx5eJzkByfg/yFKMt3ChjS2F+I8+pIhnJxhVI61Keb"
    "imRb+oZWX9UsrH4oVvcxCpk9CBKvedVO2H0IfXCyedA9/HXLkY2C1KB7wmdw/xCl0/s2a6"
    "cnE33mHAXEziUc+XnWqYTNvDz+da6LFjx8PAYzJG8DAYQCqM/krWJCj4t/8ykBJpkwYGD3"
    "Hmf03QwaJoBYBxZkbE6onnRJ9JZaLU5GDutkBEkz5YkpBwondzZSul3ncETUSg8o38aOR/"
    "zBr00hm+bBOaZ4igclt7drIX6bgfhtFHEqCOymIUxfd49xG2ddzRvAFN7U01PZXZMHuFJ7"
    "qTfL7op8GCFL4X9J3qrlZ7wJmgXzLZjvqXOgNOabgwPt0nOtIGqMpkm+q1eS6b3CZZ0ipe"
    "ZUHMfUpT3dpUlf0wtnJsWZkZMqB8Je9RNE92qtbI+rjGyPq3i2h7zcEuGETTT9m/qQyv6/"
    "qd99QCQJ3K19Pf+hm9nb/wC8A2V2"
)
