"""Job runs: rejected-record rows, dedup key, heartbeat and message

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-25 18:07:13.059643

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('job_run_error',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('job_run_id', sa.Integer(), nullable=False),
    sa.Column('awarding_body_id', sa.Integer(), nullable=True),
    sa.Column('record', sa.String(length=255), nullable=False),
    sa.Column('field', sa.String(length=120), nullable=True),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['awarding_body_id'], ['awarding_body.id'], ),
    sa.ForeignKeyConstraint(['job_run_id'], ['job_run.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('job_run_error', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_job_run_error_awarding_body_id'), ['awarding_body_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_job_run_error_job_run_id'), ['job_run_id'], unique=False)

    with op.batch_alter_table('job_run', schema=None) as batch_op:
        batch_op.add_column(sa.Column('dedup_key', sa.String(length=255), nullable=True))
        batch_op.add_column(sa.Column('heartbeat_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('message', sa.Text(), nullable=True))
        batch_op.create_index('uq_job_run_active_dedup', ['dedup_key'], unique=True, postgresql_where=sa.text("status IN ('queued', 'running')"), sqlite_where=sa.text("status IN ('queued', 'running')"))



def downgrade():
    with op.batch_alter_table('job_run', schema=None) as batch_op:
        batch_op.drop_index('uq_job_run_active_dedup', postgresql_where=sa.text("status IN ('queued', 'running')"), sqlite_where=sa.text("status IN ('queued', 'running')"))
        batch_op.drop_column('message')
        batch_op.drop_column('heartbeat_at')
        batch_op.drop_column('dedup_key')

    with op.batch_alter_table('job_run_error', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_job_run_error_job_run_id'))
        batch_op.drop_index(batch_op.f('ix_job_run_error_awarding_body_id'))

    op.drop_table('job_run_error')
