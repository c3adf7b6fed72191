"""Joint application (ühistaotlus) on the enrolment: exam language, special arrangements, consent
to the public register; the reason an exam session was cancelled

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-25 18:50:17.403758

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('enrolment', schema=None) as batch_op:
        batch_op.add_column(sa.Column('exam_language', sa.String(length=2), nullable=True))
        # server defaults fill the rows that exist; the models set the value for new rows
        batch_op.add_column(sa.Column('special_arrangements_needed', sa.Boolean(), nullable=False,
                                      server_default=sa.false()))
        batch_op.add_column(sa.Column('special_arrangements', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('public_consent', sa.Boolean(), nullable=False,
                                      server_default=sa.false()))

    with op.batch_alter_table('exam_session', schema=None) as batch_op:
        batch_op.add_column(sa.Column('cancellation_reason', sa.Text(), nullable=True))

    # Candidates confirmed before this revision sit the exam in their study language.
    op.execute("UPDATE enrolment SET exam_language = study_language WHERE candidate_confirmed")


def downgrade():
    with op.batch_alter_table('exam_session', schema=None) as batch_op:
        batch_op.drop_column('cancellation_reason')

    with op.batch_alter_table('enrolment', schema=None) as batch_op:
        batch_op.drop_column('public_consent')
        batch_op.drop_column('special_arrangements')
        batch_op.drop_column('special_arrangements_needed')
        batch_op.drop_column('exam_language')
