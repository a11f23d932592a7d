"""export batches: what was exported, when, by whom, as which files; which documents changed since

Revision ID: 0005_export_batches
Revises: 0004_account_security
Create Date: 2026-11-29 23:49:15.305331
"""
import sqlalchemy as sa
from alembic import op

import storage.models

revision = '0005_export_batches'
down_revision = '0004_account_security'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('export_batches',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('created_at', storage.models.UTCDateTime(), nullable=False),
    sa.Column('user', sa.String(length=64), nullable=True),
    sa.Column('filters', sa.JSON(), nullable=False),
    sa.Column('document_ids', sa.JSON(), nullable=False),
    sa.Column('columns', sa.JSON(), nullable=False),
    sa.Column('files', sa.JSON(), nullable=False),
    sa.Column('checksum', sa.String(length=64), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_export_batches'))
    )
    with op.batch_alter_table('export_batches', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_export_batches_created_at'), ['created_at'], unique=False)

    op.create_table('exported_documents',
    sa.Column('document_id', sa.Integer(), nullable=False),
    sa.Column('batch_id', sa.Integer(), nullable=False),
    sa.Column('changed_at', storage.models.UTCDateTime(), nullable=True),
    sa.Column('changed_by', sa.String(length=64), nullable=True),
    sa.ForeignKeyConstraint(['batch_id'], ['export_batches.id'], name=op.f('fk_exported_documents_batch_id_export_batches')),
    sa.ForeignKeyConstraint(['document_id'], ['documents.id'], name=op.f('fk_exported_documents_document_id_documents'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('document_id', name=op.f('pk_exported_documents'))
    )
    with op.batch_alter_table('exported_documents', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_exported_documents_batch_id'), ['batch_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_exported_documents_changed_at'), ['changed_at'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('exported_documents', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_exported_documents_changed_at'))
        batch_op.drop_index(batch_op.f('ix_exported_documents_batch_id'))

    op.drop_table('exported_documents')
    with op.batch_alter_table('export_batches', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_export_batches_created_at'))

    op.drop_table('export_batches')
