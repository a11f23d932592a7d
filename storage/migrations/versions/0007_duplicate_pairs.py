"""near-duplicates: pages.image_hash and duplicate_pairs (services.duplicates)

Revision ID: 0007_duplicate_pairs
Revises: 0006_watched_files
"""
import sqlalchemy as sa
from alembic import op

import storage.models

revision = '0007_duplicate_pairs'
down_revision = '0006_watched_files'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('pages', schema=None) as batch_op:
        batch_op.add_column(sa.Column('image_hash', sa.String(length=80), nullable=True))
    op.create_table('duplicate_pairs',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('first_id', sa.Integer(), nullable=False),
    sa.Column('second_id', sa.Integer(), nullable=False),
    sa.Column('same_values', sa.Boolean(), nullable=False),
    sa.Column('image_distance', sa.Integer(), nullable=True),
    sa.Column('found_at', storage.models.UTCDateTime(), nullable=False),
    sa.Column('dismissed_by', sa.String(length=64), nullable=True),
    sa.Column('dismissed_at', storage.models.UTCDateTime(), nullable=True),
    sa.ForeignKeyConstraint(['first_id'], ['documents.id'], name=op.f('fk_duplicate_pairs_first_id_documents'),
                            ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['second_id'], ['documents.id'], name=op.f('fk_duplicate_pairs_second_id_documents'),
                            ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_duplicate_pairs')),
    sa.UniqueConstraint('first_id', 'second_id', name=op.f('uq_duplicate_pairs_first_id'))
    )
    with op.batch_alter_table('duplicate_pairs', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_duplicate_pairs_first_id'), ['first_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_duplicate_pairs_second_id'), ['second_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('duplicate_pairs', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_duplicate_pairs_second_id'))
        batch_op.drop_index(batch_op.f('ix_duplicate_pairs_first_id'))
    op.drop_table('duplicate_pairs')
    with op.batch_alter_table('pages', schema=None) as batch_op:
        batch_op.drop_column('image_hash')
