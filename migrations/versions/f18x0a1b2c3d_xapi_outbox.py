"""xAPI outbox: statements to deliver to a Learning Record Store

Revision ID: f18x0a1b2c3d
Revises: f16t0e1a2b3c
Create Date: 2026-12-05 08:00:00.000000

"""
from alembic import op
import sqlalchemy as sa

import kaptrain.models.base


# revision identifiers, used by Alembic.
revision = 'f18x0a1b2c3d'
down_revision = 'f16t0e1a2b3c'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'xapi_statements',
        sa.Column('id', sa.String(length=36), nullable=False),
        sa.Column('kind', sa.String(length=40), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=True),
        sa.Column('statement', sa.JSON(), nullable=False),
        sa.Column('status', sa.String(length=12), nullable=False),
        sa.Column('attempts', sa.Integer(), server_default='0', nullable=False),
        sa.Column('next_try_at', kaptrain.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column('last_error', sa.String(length=1000), server_default='', nullable=False),
        sa.Column('created_at', kaptrain.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column('delivered_at', kaptrain.models.base.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(['user_id'], ['users.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id'),
    )
    with op.batch_alter_table('xapi_statements', schema=None) as batch_op:
        batch_op.create_index('ix_xapi_statements_status_next', ['status', 'next_try_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_xapi_statements_user_id'), ['user_id'], unique=False)


def downgrade():
    with op.batch_alter_table('xapi_statements', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_xapi_statements_user_id'))
        batch_op.drop_index('ix_xapi_statements_status_next')
    op.drop_table('xapi_statements')
