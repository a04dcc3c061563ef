"""MFA: TOTP secrets, recovery codes, passkeys; per-session MFA and re-auth times

Revision ID: a13f5e2c7d10
Revises: a13s5e551075
Create Date: 2026-12-04 18:20:00.000000

"""
from alembic import op
import sqlalchemy as sa

import kaptrain.models.base


# revision identifiers, used by Alembic.
revision = 'a13f5e2c7d10'
down_revision = 'a13s5e551075'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'mfa_totp',
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('secret', sa.String(length=64), nullable=False),
        sa.Column('enabled_at', kaptrain.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column('last_step', sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(['user_id'], ['users.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('user_id'),
    )
    op.create_table(
        'mfa_recovery_codes',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('code_hash', sa.String(length=64), nullable=False),
        sa.Column('created_at', kaptrain.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column('used_at', kaptrain.models.base.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(['user_id'], ['users.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('user_id', 'code_hash'),
    )
    with op.batch_alter_table('mfa_recovery_codes', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_mfa_recovery_codes_user_id'), ['user_id'], unique=False)
    op.create_table(
        'mfa_passkeys',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('credential_id', sa.String(length=1400), nullable=False),
        sa.Column('public_key', sa.LargeBinary(), nullable=False),
        sa.Column('sign_count', sa.Integer(), nullable=False),
        sa.Column('name', sa.String(length=60), nullable=False),
        sa.Column('transports', sa.String(length=200), nullable=False),
        sa.Column('created_at', kaptrain.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column('last_used_at', kaptrain.models.base.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(['user_id'], ['users.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('credential_id'),
    )
    with op.batch_alter_table('mfa_passkeys', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_mfa_passkeys_user_id'), ['user_id'], unique=False)
    with op.batch_alter_table('login_sessions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('mfa_at', kaptrain.models.base.UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('reauth_at', kaptrain.models.base.UTCDateTime(timezone=True), nullable=True))


def downgrade():
    with op.batch_alter_table('login_sessions', schema=None) as batch_op:
        batch_op.drop_column('reauth_at')
        batch_op.drop_column('mfa_at')
    with op.batch_alter_table('mfa_passkeys', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_mfa_passkeys_user_id'))
    op.drop_table('mfa_passkeys')
    with op.batch_alter_table('mfa_recovery_codes', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_mfa_recovery_codes_user_id'))
    op.drop_table('mfa_recovery_codes')
    op.drop_table('mfa_totp')
