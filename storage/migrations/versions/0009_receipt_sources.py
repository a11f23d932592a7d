"""receipts split from a stack: the file (source document) and the file's pages each receipt was read from

A receipt split from a file has no file of its own: its sha256 is NULL (the file's row keeps it, and with it the
duplicate check).

Revision ID: 0009_receipt_sources
Revises: 0008_sign_in_sources
"""
import sqlalchemy as sa
from alembic import op

revision = '0009_receipt_sources'
down_revision = '0008_sign_in_sources'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('documents', schema=None) as batch_op:
        batch_op.alter_column('sha256', existing_type=sa.String(length=64), nullable=True)
        batch_op.add_column(sa.Column('source_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('source_first_page', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('source_last_page', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_documents_source_id_documents'), 'documents', ['source_id'], ['id'],
                                    ondelete='CASCADE')
        batch_op.create_index(batch_op.f('ix_documents_source_id'), ['source_id'], unique=False)
        batch_op.create_unique_constraint(batch_op.f('uq_documents_source_id'), ['source_id', 'source_first_page'])


def downgrade() -> None:
    with op.batch_alter_table('documents', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_documents_source_id'), type_='unique')
        batch_op.drop_index(batch_op.f('ix_documents_source_id'))
        batch_op.drop_constraint(batch_op.f('fk_documents_source_id_documents'), type_='foreignkey')
        batch_op.drop_column('source_last_page')
        batch_op.drop_column('source_first_page')
        batch_op.drop_column('source_id')
        batch_op.alter_column('sha256', existing_type=sa.String(length=64), nullable=False)
