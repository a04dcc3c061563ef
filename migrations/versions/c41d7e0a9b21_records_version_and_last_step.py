"""users.records_version and vignette_runs.last_step_at

``users.records_version`` is raised with every change to a user's learner
records, so a worker may keep computed progress until it changes.
``vignette_runs.last_step_at`` keeps the time of a run's latest step on the run,
so progress and the cohort dashboard no longer join every step to find it;
existing runs are filled from their steps.

Revision ID: c41d7e0a9b21
Revises: 98b312fb6dac
Create Date: 2026-11-22 21:40:00.000000

"""
from alembic import op
import sqlalchemy as sa

import kaptrain.models.base


# revision identifiers, used by Alembic.
revision = 'c41d7e0a9b21'
down_revision = '98b312fb6dac'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column('records_version', sa.Integer(), server_default='0', nullable=False)
        )
    with op.batch_alter_table('vignette_runs', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column('last_step_at', kaptrain.models.base.UTCDateTime(timezone=True), nullable=True)
        )
    op.execute(
        "UPDATE vignette_runs SET last_step_at = ("
        "SELECT max(vignette_steps.at) FROM vignette_steps "
        "WHERE vignette_steps.run_id = vignette_runs.id)"
    )


def downgrade():
    with op.batch_alter_table('vignette_runs', schema=None) as batch_op:
        batch_op.drop_column('last_step_at')
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_column('records_version')
