"""Time on task: item_opens (first time an item or case step page was served)

Revision ID: f16t0e1a2b3c
Revises: f16c0a1b2c3d
Create Date: 2026-12-05 07:50:00.000000

"""
from alembic import op
import sqlalchemy as sa

import kaptrain.models.base


# revision identifiers, used by Alembic.
revision = 'f16t0e1a2b3c'
down_revision = 'f16c0a1b2c3d'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'item_opens',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('module_id', sa.String(length=64), nullable=False),
        sa.Column('item_id', sa.String(length=64), nullable=False),
        sa.Column('part', sa.String(length=64), nullable=False),
        sa.Column('opened_at', kaptrain.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['user_id'], ['users.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('user_id', 'module_id', 'item_id', 'part'),
    )
    with op.batch_alter_table('item_opens', schema=None) as batch_op:
        batch_op.create_index('ix_item_opens_module_id', ['module_id'], unique=False)


def downgrade():
    with op.batch_alter_table('item_opens', schema=None) as batch_op:
        batch_op.drop_index('ix_item_opens_module_id')
    op.drop_table('item_opens')
