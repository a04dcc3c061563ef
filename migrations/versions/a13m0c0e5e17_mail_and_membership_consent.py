"""mail outbox (issue 13)

``mail_outbox`` holds every outgoing message until it is delivered: written in
the sender's transaction, claimed and sent after commit, retried with backoff.

Revision ID: a13m0c0e5e17
Revises: c41d7e0a9b21
Create Date: 2026-12-04 18:30:00.000000

"""
from alembic import op
import sqlalchemy as sa

import kaptrain.models.base


# revision identifiers, used by Alembic.
revision = 'a13m0c0e5e17'
down_revision = 'c41d7e0a9b21'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'mail_outbox',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('recipient', sa.String(length=254), nullable=False),
        sa.Column('subject', sa.String(length=200), nullable=False),
        sa.Column('body', sa.Text(), nullable=False),
        sa.Column('created_at', kaptrain.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column('attempts', sa.Integer(), server_default='0', nullable=False),
        sa.Column('next_attempt_at', kaptrain.models.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column('sent_at', kaptrain.models.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column('last_error', sa.String(length=500), server_default='', nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_mail_outbox')),
    )
    with op.batch_alter_table('mail_outbox', schema=None) as batch_op:
        batch_op.create_index('ix_mail_outbox_next_attempt_at', ['next_attempt_at'], unique=False)


def downgrade():
    with op.batch_alter_table('mail_outbox', schema=None) as batch_op:
        batch_op.drop_index('ix_mail_outbox_next_attempt_at')
    op.drop_table('mail_outbox')
