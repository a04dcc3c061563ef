"""mail outbox, cohort invitations, the actor's role in audit events (issue 13)

``mail_outbox`` holds every outgoing message until it is delivered: written in
the sender's transaction, claimed and sent after commit, retried with backoff.
``cohort_invitations``: supervisors invite an address; the trainee joins only by
accepting. ``audit_events.actor_role`` lets a trainee's own data say who saw
their shared reflections by role, without the other person's identifiers.

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

    op.create_table(
        'cohort_invitations',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('cohort_id', sa.Integer(), nullable=False),
        sa.Column('email', sa.String(length=254), nullable=False),
        sa.Column('invited_by_id', sa.Integer(), nullable=True),
        sa.Column('status', sa.String(length=10), nullable=False),
        sa.Column('created_at', kaptrain.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column('answered_at', kaptrain.models.base.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(['cohort_id'], ['cohorts.id'], name=op.f('fk_cohort_invitations_cohort_id_cohorts'), ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['invited_by_id'], ['users.id'], name=op.f('fk_cohort_invitations_invited_by_id_users'), ondelete='SET NULL'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_cohort_invitations')),
        sa.UniqueConstraint('cohort_id', 'email', name=op.f('uq_cohort_invitations_cohort_id_email')),
    )
    with op.batch_alter_table('cohort_invitations', schema=None) as batch_op:
        batch_op.create_index('ix_cohort_invitations_email', ['email'], unique=False)

    with op.batch_alter_table('audit_events', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column('actor_role', sa.String(length=20), server_default='', nullable=False)
        )


def downgrade():
    with op.batch_alter_table('audit_events', schema=None) as batch_op:
        batch_op.drop_column('actor_role')
    with op.batch_alter_table('cohort_invitations', schema=None) as batch_op:
        batch_op.drop_index('ix_cohort_invitations_email')
    op.drop_table('cohort_invitations')
    with op.batch_alter_table('mail_outbox', schema=None) as batch_op:
        batch_op.drop_index('ix_mail_outbox_next_attempt_at')
    op.drop_table('mail_outbox')
