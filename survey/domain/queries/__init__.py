"""Data access, one module a table; each function returns typed rows, not records.

Which tool for which access:
- **plain asyncpg** (through ``survey.domain.db.connection``) for set-based reads and writes:
  counts grouped by survey, JSONB operators on stored answers (``answers ->> code``,
  ``@>``), id lists (``= ANY($1)``), cursors for exports and batched deletes. Tortoise's query
  builder expresses these poorly or not at all, and these are the hot paths.
- **Tortoise models** for single rows edited by staff (a survey's settings, a council, an
  actor): field validation and relations are worth more there than one round trip.
A function that must run inside the caller's transaction takes its connection (``conn``);
others open their own.
"""
