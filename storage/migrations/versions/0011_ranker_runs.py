"""ranker runs: retraining the field ranker from approvals, and which run's model the workers read with

Revision ID: 0011_ranker_runs
Revises: 0010_sessions_overrides
"""
import sqlalchemy as sa
from alembic import op

import storage.models

revision = '0011_ranker_runs'
down_revision = '0010_sessions_overrides'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('ranker_runs',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('requested_by', sa.String(length=64), nullable=True),
    sa.Column('requested_at', storage.models.UTCDateTime(), nullable=False),
    sa.Column('started_at', storage.models.UTCDateTime(), nullable=True),
    sa.Column('finished_at', storage.models.UTCDateTime(), nullable=True),
    sa.Column('state', sa.String(length=16), nullable=False),
    sa.Column('stage', sa.Text(), nullable=False),
    sa.Column('done', sa.Integer(), nullable=False),
    sa.Column('total', sa.Integer(), nullable=False),
    sa.Column('folders', sa.JSON(), nullable=False),
    sa.Column('documents', sa.Integer(), nullable=True),
    sa.Column('shops', sa.Integer(), nullable=True),
    sa.Column('held_out_documents', sa.Integer(), nullable=True),
    sa.Column('held_out_shops', sa.Integer(), nullable=True),
    sa.Column('current_model', sa.String(length=32), nullable=True),
    sa.Column('current_f1', sa.Double(), nullable=True),
    sa.Column('candidate_f1', sa.Double(), nullable=True),
    sa.Column('figures', sa.JSON(), nullable=False),
    sa.Column('model_key', sa.String(length=64), nullable=True),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('reason', sa.Text(), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_ranker_runs'))
    )
    with op.batch_alter_table('ranker_runs', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_ranker_runs_active'), ['active'], unique=False)
        batch_op.create_index(batch_op.f('ix_ranker_runs_requested_at'), ['requested_at'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('ranker_runs', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_ranker_runs_requested_at'))
        batch_op.drop_index(batch_op.f('ix_ranker_runs_active'))

    op.drop_table('ranker_runs')
