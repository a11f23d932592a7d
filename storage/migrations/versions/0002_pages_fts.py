"""full-text search over the OCR text: SQLite FTS5 index on pages.text, kept in sync by triggers

On other backends nothing is created here (PostgreSQL: see 0003_search).

Revision ID: 0002_pages_fts
Revises: 0001
"""
from alembic import op

revision = '0002_pages_fts'
down_revision = '0001'
branch_labels = None
depends_on = None

# External-content table: the text lives once, in pages; the index holds only the tokens.
STATEMENTS = [
    "CREATE VIRTUAL TABLE pages_fts USING fts5(text, content='pages', content_rowid='id', "
    "tokenize='unicode61 remove_diacritics 2')",
    "CREATE TRIGGER pages_fts_after_insert AFTER INSERT ON pages BEGIN "
    "INSERT INTO pages_fts(rowid, text) VALUES (new.id, new.text); END",
    "CREATE TRIGGER pages_fts_after_delete AFTER DELETE ON pages BEGIN "
    "INSERT INTO pages_fts(pages_fts, rowid, text) VALUES ('delete', old.id, old.text); END",
    "CREATE TRIGGER pages_fts_after_update AFTER UPDATE OF text ON pages BEGIN "
    "INSERT INTO pages_fts(pages_fts, rowid, text) VALUES ('delete', old.id, old.text); "
    "INSERT INTO pages_fts(rowid, text) VALUES (new.id, new.text); END",
    "INSERT INTO pages_fts(pages_fts) VALUES ('rebuild')",
]


def upgrade() -> None:
    if op.get_bind().dialect.name != "sqlite":
        return
    for statement in STATEMENTS:
        op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name != "sqlite":
        return
    for trigger in ("pages_fts_after_insert", "pages_fts_after_delete", "pages_fts_after_update"):
        op.execute(f"DROP TRIGGER IF EXISTS {trigger}")
    op.execute("DROP TABLE IF EXISTS pages_fts")
