"""Statistics: summary table, open data table, refresh times; when a certificate was entered into
Kutseregister

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-25 18:53:31.035120

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('open_data_stat',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('dataset', sa.String(length=30), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('group_code', sa.String(length=60), nullable=True),
    sa.Column('group_label', sa.String(length=255), nullable=True),
    sa.Column('candidates', sa.Integer(), nullable=True),
    sa.Column('attended', sa.Integer(), nullable=True),
    sa.Column('decided', sa.Integer(), nullable=True),
    sa.Column('passed', sa.Integer(), nullable=True),
    sa.Column('pass_rate', sa.Numeric(precision=5, scale=1), nullable=True),
    sa.Column('certificates', sa.Integer(), nullable=True),
    sa.Column('graduates', sa.Integer(), nullable=True),
    sa.Column('graduates_examined', sa.Integer(), nullable=True),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('open_data_stat', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_open_data_stat_dataset'), ['dataset'], unique=False)

    op.create_table('stat_refresh',
    sa.Column('name', sa.String(length=30), nullable=False),
    sa.Column('refreshed_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('row_count', sa.Integer(), nullable=False),
    sa.Column('min_count', sa.Integer(), nullable=True),
    sa.PrimaryKeyConstraint('name')
    )
    op.create_table('stat_summary',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('season', sa.SmallInteger(), nullable=False),
    sa.Column('awarding_body_id', sa.Integer(), nullable=True),
    sa.Column('school_id', sa.Integer(), nullable=True),
    sa.Column('curriculum_id', sa.Integer(), nullable=True),
    sa.Column('standard_id', sa.Integer(), nullable=True),
    sa.Column('ekr_level', sa.SmallInteger(), nullable=True),
    sa.Column('field', sa.String(length=120), nullable=True),
    sa.Column('candidates', sa.Integer(), nullable=False),
    sa.Column('results', sa.Integer(), nullable=False),
    sa.Column('attended', sa.Integer(), nullable=False),
    sa.Column('decided', sa.Integer(), nullable=False),
    sa.Column('passed', sa.Integer(), nullable=False),
    sa.Column('decision_days', sa.Integer(), nullable=False),
    sa.Column('certificates', sa.Integer(), nullable=False),
    sa.Column('rejected', sa.Integer(), nullable=False),
    sa.Column('register_days', sa.Integer(), nullable=False),
    sa.Column('registered_timed', sa.Integer(), nullable=False),
    sa.Column('graduates', sa.Integer(), nullable=False),
    sa.Column('graduates_examined', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('stat_summary', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_stat_summary_awarding_body_id'), ['awarding_body_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_stat_summary_school_id'), ['school_id'], unique=False)
        batch_op.create_index('ix_stat_summary_year_season', ['year', 'season'], unique=False)

    with op.batch_alter_table('certificate', schema=None) as batch_op:
        batch_op.add_column(sa.Column('registered_at', sa.DateTime(timezone=True), nullable=True))



def downgrade():
    with op.batch_alter_table('certificate', schema=None) as batch_op:
        batch_op.drop_column('registered_at')

    with op.batch_alter_table('stat_summary', schema=None) as batch_op:
        batch_op.drop_index('ix_stat_summary_year_season')
        batch_op.drop_index(batch_op.f('ix_stat_summary_school_id'))
        batch_op.drop_index(batch_op.f('ix_stat_summary_awarding_body_id'))

    op.drop_table('stat_summary')
    op.drop_table('stat_refresh')
    with op.batch_alter_table('open_data_stat', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_open_data_stat_dataset'))

    op.drop_table('open_data_stat')
