"""ranker runs: the process running each one, so a run whose worker was killed is failed when a worker starts

Revision ID: 0012_ranker_run_worker
Revises: 0011_ranker_runs
"""
import sqlalchemy as sa
from alembic import op

revision = '0012_ranker_run_worker'
down_revision = '0011_ranker_runs'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('ranker_runs', schema=None) as batch_op:
        batch_op.add_column(sa.Column('worker', sa.String(length=64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('ranker_runs', schema=None) as batch_op:
        batch_op.drop_column('worker')
