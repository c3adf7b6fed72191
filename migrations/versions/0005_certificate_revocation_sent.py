"""Certificate: when Kutseregister accepted its revocation (the register export sends revocations
of registered certificates that have none yet)

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-25 19:10:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('certificate', schema=None) as batch_op:
        batch_op.add_column(sa.Column('revocation_sent_at', sa.DateTime(timezone=True), nullable=True))
    # Certificates revoked before this revision were revoked in the register by hand.
    op.execute("UPDATE certificate SET revocation_sent_at = CURRENT_TIMESTAMP WHERE revoked AND status = 'registered'")


def downgrade():
    with op.batch_alter_table('certificate', schema=None) as batch_op:
        batch_op.drop_column('revocation_sent_at')
