"""login_sessions: last seen, remember, user agent and address (issue 13)

``last_seen_at`` drives the idle timeout (refreshed at most once a minute);
``remember`` exempts a trainee's "keep me signed in" session from it;
``user_agent`` and ``ip`` describe the session on the "your sessions" page.
Existing sessions count as seen when they were created.

Revision ID: a13s5e551075
Revises: a13m0c0e5e17
Create Date: 2026-12-04 18:20:00.000000

"""
from alembic import op
import sqlalchemy as sa

import kaptrain.models.base


# revision identifiers, used by Alembic.
revision = 'a13s5e551075'
# Chained after the mail outbox migration of the sec-mail-consent branch, which
# this branch merged; both started from c41d7e0a9b21.
down_revision = 'a13m0c0e5e17'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('login_sessions', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column('last_seen_at', kaptrain.models.base.UTCDateTime(timezone=True), nullable=True)
        )
        batch_op.add_column(
            sa.Column('remember', sa.Boolean(), server_default='0', nullable=False)
        )
        batch_op.add_column(
            sa.Column('user_agent', sa.String(length=300), server_default='', nullable=False)
        )
        batch_op.add_column(
            sa.Column('ip', sa.String(length=64), server_default='', nullable=False)
        )
    op.execute("UPDATE login_sessions SET last_seen_at = created_at")


def downgrade():
    with op.batch_alter_table('login_sessions', schema=None) as batch_op:
        batch_op.drop_column('ip')
        batch_op.drop_column('user_agent')
        batch_op.drop_column('remember')
        batch_op.drop_column('last_seen_at')
