"""full-text search over what a reviewer sees: OCR text, field values and line-item descriptions, on both backends

SQLite: FTS5 indexes (external content, kept in sync by triggers), as 0002 made for pages.text.
PostgreSQL: a generated tsvector column with a GIN index on each searched column, so the database keeps it
up to date on every write. Both index the same words: letters and digits split at anything else, lower case,
accents removed (FTS5's unicode61 tokenizer; on PostgreSQL the unaccent extension and docdesk_search_words).
storage/search.py queries them.

Revision ID: 0003_search
Revises: 0002_pages_fts
"""
from alembic import op

revision = '0003_search'
down_revision = '0002_pages_fts'
branch_labels = None
depends_on = None

# (table, searched column); pages.text has its SQLite index from 0002 already
SEARCHED = [("pages", "text"), ("fields", "value"), ("line_items", "description")]
NEW_ON_SQLITE = SEARCHED[1:]

POSTGRES_FUNCTIONS = [
    "CREATE EXTENSION IF NOT EXISTS unaccent",
    # Immutable (unaccent() itself is only stable) so that a generated column may use it; the dictionary is
    # named with its schema so the function does not depend on the caller's search_path.
    """CREATE OR REPLACE FUNCTION docdesk_search_words(content text) RETURNS text
       LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS
       $$ SELECT lower(regexp_replace(public.unaccent('public.unaccent'::regdictionary, content),
                                      '[^[:alnum:]]+', ' ', 'g')) $$""",
    # One word of a search -> its terms as a phrase, the last one a prefix: 'rm42.9' -> 'rm42 <-> 9:*'.
    """CREATE OR REPLACE FUNCTION docdesk_search_query(word text) RETURNS tsquery
       LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS
       $$ SELECT CASE WHEN terms = '' THEN NULL
                      ELSE to_tsquery('simple', replace(terms, ' ', ' <-> ') || ':*') END
          FROM (SELECT btrim(docdesk_search_words(word)) AS terms) AS normalised $$""",
]


def _sqlite_index(table: str, column: str) -> list[str]:
    fts = f"{table}_fts"
    return [
        f"CREATE VIRTUAL TABLE {fts} USING fts5({column}, content='{table}', content_rowid='id', "
        "tokenize='unicode61 remove_diacritics 2')",
        f"CREATE TRIGGER {fts}_after_insert AFTER INSERT ON {table} BEGIN "
        f"INSERT INTO {fts}(rowid, {column}) VALUES (new.id, new.{column}); END",
        f"CREATE TRIGGER {fts}_after_delete AFTER DELETE ON {table} BEGIN "
        f"INSERT INTO {fts}({fts}, rowid, {column}) VALUES ('delete', old.id, old.{column}); END",
        f"CREATE TRIGGER {fts}_after_update AFTER UPDATE OF {column} ON {table} BEGIN "
        f"INSERT INTO {fts}({fts}, rowid, {column}) VALUES ('delete', old.id, old.{column}); "
        f"INSERT INTO {fts}(rowid, {column}) VALUES (new.id, new.{column}); END",
        f"INSERT INTO {fts}({fts}) VALUES ('rebuild')",
    ]


def _postgres_index(table: str, column: str) -> list[str]:
    return [
        f"ALTER TABLE {table} ADD COLUMN search_vector tsvector "
        f"GENERATED ALWAYS AS (to_tsvector('simple', coalesce(docdesk_search_words({column}), ''))) STORED",
        f"CREATE INDEX ix_{table}_search_vector ON {table} USING gin (search_vector)",
    ]


def upgrade() -> None:
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        statements = [s for table, column in NEW_ON_SQLITE for s in _sqlite_index(table, column)]
    elif dialect == "postgresql":
        statements = POSTGRES_FUNCTIONS + [s for table, column in SEARCHED for s in _postgres_index(table, column)]
    else:
        raise NotImplementedError(f"DocDesk runs on SQLite or PostgreSQL, not {dialect}")
    for statement in statements:
        op.execute(statement)


def downgrade() -> None:
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        for table, _ in NEW_ON_SQLITE:
            for trigger in ("after_insert", "after_delete", "after_update"):
                op.execute(f"DROP TRIGGER IF EXISTS {table}_fts_{trigger}")
            op.execute(f"DROP TABLE IF EXISTS {table}_fts")
    elif dialect == "postgresql":
        for table, _ in SEARCHED:
            op.execute(f"ALTER TABLE {table} DROP COLUMN IF EXISTS search_vector")  # drops its index too
        op.execute("DROP FUNCTION IF EXISTS docdesk_search_query(text)")
        op.execute("DROP FUNCTION IF EXISTS docdesk_search_words(text)")
