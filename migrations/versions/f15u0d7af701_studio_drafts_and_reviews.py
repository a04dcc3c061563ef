"""Authoring studio: drafts (private working copies of a module's files) and
their reviews with line notes (issue 15)

Revision ID: f15u0d7af701
Revises: f15s0c0e7e01
Create Date: 2026-12-05 08:00:00.000000

"""
from alembic import op
import sqlalchemy as sa

import kaptrain.models.base


# revision identifiers, used by Alembic.
revision = 'f15u0d7af701'
down_revision = 'f15s0c0e7e01'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('content_drafts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('module_id', sa.String(length=64), nullable=False),
    sa.Column('folder', sa.String(length=120), nullable=False),
    sa.Column('owner_id', sa.Integer(), nullable=False),
    sa.Column('state', sa.String(length=24), nullable=False),
    sa.Column('base_number', sa.Integer(), nullable=True),
    sa.Column('message', sa.String(length=500), nullable=False),
    sa.Column('conflicts', sa.Text(), nullable=False),
    sa.Column('lock_version', sa.Integer(), nullable=False),
    sa.Column('published_number', sa.Integer(), nullable=True),
    sa.Column('created_at', kaptrain.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', kaptrain.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint("state IN ('draft', 'in_review', 'changes_requested', 'approved', 'published')", name=op.f('ck_content_drafts_state')),
    sa.ForeignKeyConstraint(['owner_id'], ['users.id'], name=op.f('fk_content_drafts_owner_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_content_drafts'))
    )
    with op.batch_alter_table('content_drafts', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_content_drafts_module_id'), ['module_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_content_drafts_owner_id'), ['owner_id'], unique=False)

    op.create_table('content_draft_files',
    sa.Column('draft_id', sa.Integer(), nullable=False),
    sa.Column('path', sa.String(length=300), nullable=False),
    sa.Column('data', sa.LargeBinary(), nullable=False),
    sa.Column('alt', sa.String(length=300), nullable=False),
    sa.ForeignKeyConstraint(['draft_id'], ['content_drafts.id'], name=op.f('fk_content_draft_files_draft_id_content_drafts'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('draft_id', 'path', name=op.f('pk_content_draft_files'))
    )
    op.create_table('content_reviews',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('draft_id', sa.Integer(), nullable=False),
    sa.Column('reviewer_id', sa.Integer(), nullable=True),
    sa.Column('decision', sa.String(length=24), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('draft_version', sa.Integer(), nullable=False),
    sa.Column('created_at', kaptrain.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint("decision IN ('approve', 'request_changes', 'comment')", name=op.f('ck_content_reviews_decision')),
    sa.ForeignKeyConstraint(['draft_id'], ['content_drafts.id'], name=op.f('fk_content_reviews_draft_id_content_drafts'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['reviewer_id'], ['users.id'], name=op.f('fk_content_reviews_reviewer_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_content_reviews'))
    )
    with op.batch_alter_table('content_reviews', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_content_reviews_draft_id'), ['draft_id'], unique=False)

    op.create_table('content_review_notes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('review_id', sa.Integer(), nullable=False),
    sa.Column('path', sa.String(length=300), nullable=False),
    sa.Column('line', sa.Integer(), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['review_id'], ['content_reviews.id'], name=op.f('fk_content_review_notes_review_id_content_reviews'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_content_review_notes'))
    )
    with op.batch_alter_table('content_review_notes', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_content_review_notes_review_id'), ['review_id'], unique=False)


def downgrade():
    with op.batch_alter_table('content_review_notes', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_content_review_notes_review_id'))
    op.drop_table('content_review_notes')
    with op.batch_alter_table('content_reviews', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_content_reviews_draft_id'))
    op.drop_table('content_reviews')
    op.drop_table('content_draft_files')
    with op.batch_alter_table('content_drafts', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_content_drafts_owner_id'))
        batch_op.drop_index(batch_op.f('ix_content_drafts_module_id'))
    op.drop_table('content_drafts')
