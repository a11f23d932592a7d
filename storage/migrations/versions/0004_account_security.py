"""account security: single sign-on bound to issuer + subject; a password to change at the next sign-in

Revision ID: 0004_account_security
Revises: 0003_search
"""
import sqlalchemy as sa
from alembic import op

revision = '0004_account_security'
down_revision = '0003_search'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('users') as batch:
        batch.add_column(sa.Column('sso_issuer', sa.String(255), nullable=True))
        batch.add_column(sa.Column('sso_subject', sa.String(255), nullable=True))
        batch.create_unique_constraint('uq_users_sso', ['sso_issuer', 'sso_subject'])
        batch.add_column(sa.Column('must_change_password', sa.Boolean(), nullable=False, server_default=sa.false()))


def downgrade() -> None:
    with op.batch_alter_table('users') as batch:
        batch.drop_column('must_change_password')
        batch.drop_constraint('uq_users_sso', type_='unique')
        batch.drop_column('sso_subject')
        batch.drop_column('sso_issuer')
