"""Signed credentials: issuer public keys, signed credentials, revocations

Revision ID: f16c0a1b2c3d
Revises: f15u0d7af701
Create Date: 2026-12-05 08:00:00.000000

"""
from alembic import op
import sqlalchemy as sa

import kaptrain.models.base


# revision identifiers, used by Alembic.
revision = 'f16c0a1b2c3d'
down_revision = 'f15u0d7af701'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'signing_keys',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('public_key_multibase', sa.String(length=64), nullable=False),
        sa.Column('created_at', kaptrain.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column('retired_at', kaptrain.models.base.UTCDateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('public_key_multibase'),
    )
    op.create_table(
        'issued_credentials',
        sa.Column('certificate_id', sa.Integer(), nullable=False),
        sa.Column('key_multibase', sa.String(length=64), nullable=False),
        sa.Column('status_index', sa.Integer(), nullable=False),
        sa.Column('credential_json', sa.Text(), nullable=False),
        sa.Column('signed_at', kaptrain.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['certificate_id'], ['certificates.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('certificate_id'),
    )
    op.create_table(
        'certificate_revocations',
        sa.Column('certificate_id', sa.Integer(), nullable=False),
        sa.Column('reason', sa.String(length=500), nullable=False),
        sa.Column('revoked_at', kaptrain.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column('revoked_by_id', sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(['certificate_id'], ['certificates.id'], ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['revoked_by_id'], ['users.id'], ondelete='SET NULL'),
        sa.PrimaryKeyConstraint('certificate_id'),
    )


def downgrade():
    op.drop_table('certificate_revocations')
    op.drop_table('issued_credentials')
    op.drop_table('signing_keys')
