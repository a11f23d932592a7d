"""watched_files: what the watched folder took (services.watch), so nothing is taken twice

Revision ID: 0006_watched_files
Revises: 0005_export_batches
"""
import sqlalchemy as sa
from alembic import op

import storage.models

revision = '0006_watched_files'
down_revision = '0005_export_batches'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('watched_files',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('folder', sa.Text(), nullable=False),
    sa.Column('path', sa.Text(), nullable=False),
    sa.Column('size', sa.BigInteger(), nullable=False),
    sa.Column('mtime_ns', sa.BigInteger(), nullable=False),
    sa.Column('outcome', sa.String(length=16), nullable=False),
    sa.Column('document_id', sa.Integer(), nullable=True),
    sa.Column('message', sa.Text(), nullable=False),
    sa.Column('taken_at', storage.models.UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_watched_files'))
    )
    with op.batch_alter_table('watched_files', schema=None) as batch_op:
        batch_op.create_index('ix_watched_files_folder_path', ['folder', 'path'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('watched_files', schema=None) as batch_op:
        batch_op.drop_index('ix_watched_files_folder_path')
    op.drop_table('watched_files')
