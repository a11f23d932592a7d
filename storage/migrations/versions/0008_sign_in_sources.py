"""sign-in attempts per network address (services.users: a guesser spreading guesses over many names)

Revision ID: 0008_sign_in_sources
Revises: 0007_duplicate_pairs
"""
import sqlalchemy as sa
from alembic import op

import storage.models

revision = '0008_sign_in_sources'
down_revision = '0007_duplicate_pairs'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('sign_in_sources',
                    sa.Column('source', sa.String(length=64), nullable=False),
                    sa.Column('attempts', sa.Integer(), nullable=False),
                    sa.Column('window_started_at', storage.models.UTCDateTime(), nullable=False),
                    sa.PrimaryKeyConstraint('source', name=op.f('pk_sign_in_sources')))


def downgrade() -> None:
    op.drop_table('sign_in_sources')
