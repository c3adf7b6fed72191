"""Initial schema: FAB security tables and the whole domain model.

Revision ID: 9b93875afa70
Revises: 
Create Date: 2026-11-25 18:01:34.564405

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0001'
down_revision = None
branch_labels = None
depends_on = None


def upgrade():
    if op.get_bind().dialect.name == "postgresql":
        # Trigram indexes for name search need the extension first.
        op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    op.create_table('ab_group',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('label', sa.String(length=150), nullable=True),
    sa.Column('description', sa.String(length=512), nullable=True),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('name')
    )
    op.create_table('ab_permission',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('name')
    )
    op.create_table('ab_register_user',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('first_name', sa.String(length=64), nullable=False),
    sa.Column('last_name', sa.String(length=64), nullable=False),
    sa.Column('username', sa.String(length=128), nullable=False),
    sa.Column('password', sa.String(length=256), nullable=True),
    sa.Column('email', sa.String(length=320), nullable=False),
    sa.Column('registration_date', sa.DateTime(), nullable=True),
    sa.Column('registration_hash', sa.String(length=256), nullable=True),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('email'),
    sa.UniqueConstraint('username')
    )
    op.create_table('ab_role',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=64), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('name')
    )
    op.create_table('ab_view_menu',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=250), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('name')
    )
    op.create_table('awarding_body',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('registrikood', sa.String(length=8), nullable=False),
    sa.Column('name', sa.String(length=255), nullable=False),
    sa.Column('committee_member_required', sa.Boolean(), nullable=False),
    sa.Column('exam_languages', sa.String(length=120), nullable=True),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('registrikood')
    )
    with op.batch_alter_table('awarding_body', schema=None) as batch_op:
        batch_op.create_index('ix_awarding_body_name_trgm', ['name'], unique=False, postgresql_using='gin', postgresql_ops={'name': 'gin_trgm_ops'})

    op.create_table('occupational_standard',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('register_id', sa.BigInteger(), nullable=False),
    sa.Column('group_id', sa.BigInteger(), nullable=True),
    sa.Column('version', sa.Integer(), nullable=True),
    sa.Column('name', sa.String(length=255), nullable=False),
    sa.Column('name_en', sa.String(length=255), nullable=True),
    sa.Column('ekr_level', sa.Integer(), nullable=False),
    sa.Column('field', sa.String(length=120), nullable=True),
    sa.Column('occupation', sa.String(length=120), nullable=True),
    sa.Column('valid_from', sa.Date(), nullable=False),
    sa.Column('valid_to', sa.Date(), nullable=True),
    sa.Column('cert_validity_years', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('register_id')
    )
    with op.batch_alter_table('occupational_standard', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_occupational_standard_field'), ['field'], unique=False)
        batch_op.create_index(batch_op.f('ix_occupational_standard_group_id'), ['group_id'], unique=False)
        batch_op.create_index('ix_occupational_standard_name_trgm', ['name'], unique=False, postgresql_using='gin', postgresql_ops={'name': 'gin_trgm_ops'})

    op.create_table('person',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('isikukood', sa.String(length=11), nullable=True),
    sa.Column('birth_date', sa.Date(), nullable=True),
    sa.Column('first_name', sa.String(length=255), nullable=False),
    sa.Column('last_name', sa.String(length=255), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('isikukood')
    )
    with op.batch_alter_table('person', schema=None) as batch_op:
        batch_op.create_index('ix_person_first_name_trgm', ['first_name'], unique=False, postgresql_using='gin', postgresql_ops={'first_name': 'gin_trgm_ops'})
        batch_op.create_index('ix_person_last_name_trgm', ['last_name'], unique=False, postgresql_using='gin', postgresql_ops={'last_name': 'gin_trgm_ops'})

    op.create_table('school',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('ehis_id', sa.Integer(), nullable=False),
    sa.Column('registrikood', sa.String(length=8), nullable=False),
    sa.Column('name', sa.String(length=255), nullable=False),
    sa.Column('name_en', sa.String(length=255), nullable=True),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('ehis_id'),
    sa.UniqueConstraint('registrikood')
    )
    with op.batch_alter_table('school', schema=None) as batch_op:
        batch_op.create_index('ix_school_name_trgm', ['name'], unique=False, postgresql_using='gin', postgresql_ops={'name': 'gin_trgm_ops'})

    op.create_table('ab_group_role',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('group_id', sa.Integer(), nullable=True),
    sa.Column('role_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['group_id'], ['ab_group.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['role_id'], ['ab_role.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('group_id', 'role_id')
    )
    with op.batch_alter_table('ab_group_role', schema=None) as batch_op:
        batch_op.create_index('idx_group_id', ['group_id'], unique=False)
        batch_op.create_index('idx_group_role_id', ['role_id'], unique=False)

    op.create_table('ab_permission_view',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('permission_id', sa.Integer(), nullable=False),
    sa.Column('view_menu_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['permission_id'], ['ab_permission.id'], ),
    sa.ForeignKeyConstraint(['view_menu_id'], ['ab_view_menu.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('permission_id', 'view_menu_id')
    )
    with op.batch_alter_table('ab_permission_view', schema=None) as batch_op:
        batch_op.create_index('idx_permission_id', ['permission_id'], unique=False)
        batch_op.create_index('idx_view_menu_id', ['view_menu_id'], unique=False)

    op.create_table('ab_user',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('first_name', sa.String(length=64), nullable=False),
    sa.Column('last_name', sa.String(length=64), nullable=False),
    sa.Column('username', sa.String(length=128), nullable=False),
    sa.Column('password', sa.String(length=256), nullable=True),
    sa.Column('active', sa.Boolean(), nullable=True),
    sa.Column('email', sa.String(length=320), nullable=False),
    sa.Column('last_login', sa.DateTime(), nullable=True),
    sa.Column('login_count', sa.Integer(), nullable=True),
    sa.Column('fail_login_count', sa.Integer(), nullable=True),
    sa.Column('created_on', sa.DateTime(), nullable=True),
    sa.Column('changed_on', sa.DateTime(), nullable=True),
    sa.Column('created_by_fk', sa.Integer(), nullable=True),
    sa.Column('changed_by_fk', sa.Integer(), nullable=True),
    sa.Column('isikukood', sa.String(length=11), nullable=True),
    sa.Column('awarding_body_id', sa.Integer(), nullable=True),
    sa.Column('school_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['awarding_body_id'], ['awarding_body.id'], ),
    sa.ForeignKeyConstraint(['changed_by_fk'], ['ab_user.id'], ),
    sa.ForeignKeyConstraint(['created_by_fk'], ['ab_user.id'], ),
    sa.ForeignKeyConstraint(['school_id'], ['school.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('email'),
    sa.UniqueConstraint('isikukood'),
    sa.UniqueConstraint('username')
    )
    with op.batch_alter_table('ab_user', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_ab_user_awarding_body_id'), ['awarding_body_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_ab_user_school_id'), ['school_id'], unique=False)

    op.create_table('awarding_right',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('awarding_body_id', sa.Integer(), nullable=False),
    sa.Column('standard_id', sa.Integer(), nullable=False),
    sa.Column('valid_from', sa.Date(), nullable=False),
    sa.Column('valid_to', sa.Date(), nullable=True),
    sa.ForeignKeyConstraint(['awarding_body_id'], ['awarding_body.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['standard_id'], ['occupational_standard.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('awarding_body_id', 'standard_id', 'valid_from')
    )
    with op.batch_alter_table('awarding_right', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_awarding_right_awarding_body_id'), ['awarding_body_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_awarding_right_standard_id'), ['standard_id'], unique=False)

    op.create_table('competence',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('standard_id', sa.Integer(), nullable=False),
    sa.Column('register_id', sa.BigInteger(), nullable=False),
    sa.Column('name', sa.String(length=500), nullable=False),
    sa.Column('mandatory', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['standard_id'], ['occupational_standard.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('standard_id', 'register_id')
    )
    with op.batch_alter_table('competence', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_competence_standard_id'), ['standard_id'], unique=False)

    op.create_table('curriculum',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('ehis_code', sa.Integer(), nullable=False),
    sa.Column('school_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=255), nullable=False),
    sa.Column('name_en', sa.String(length=255), nullable=True),
    sa.Column('level_code', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('no_valid_standard', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['school_id'], ['school.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('ehis_code')
    )
    with op.batch_alter_table('curriculum', schema=None) as batch_op:
        batch_op.create_index('ix_curriculum_name_trgm', ['name'], unique=False, postgresql_using='gin', postgresql_ops={'name': 'gin_trgm_ops'})
        batch_op.create_index(batch_op.f('ix_curriculum_school_id'), ['school_id'], unique=False)

    op.create_table('partial_qualification',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('standard_id', sa.Integer(), nullable=False),
    sa.Column('register_id', sa.BigInteger(), nullable=False),
    sa.Column('name', sa.String(length=255), nullable=False),
    sa.ForeignKeyConstraint(['standard_id'], ['occupational_standard.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('register_id')
    )
    with op.batch_alter_table('partial_qualification', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_partial_qualification_standard_id'), ['standard_id'], unique=False)

    op.create_table('qualification_committee',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('awarding_body_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=255), nullable=False),
    sa.ForeignKeyConstraint(['awarding_body_id'], ['awarding_body.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('qualification_committee', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_qualification_committee_awarding_body_id'), ['awarding_body_id'], unique=False)

    op.create_table('specialisation',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('standard_id', sa.Integer(), nullable=False),
    sa.Column('register_id', sa.BigInteger(), nullable=False),
    sa.Column('name', sa.String(length=255), nullable=False),
    sa.ForeignKeyConstraint(['standard_id'], ['occupational_standard.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('register_id')
    )
    with op.batch_alter_table('specialisation', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_specialisation_standard_id'), ['standard_id'], unique=False)

    op.create_table('ab_api_key',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('uuid', sa.String(length=36), nullable=False),
    sa.Column('name', sa.String(length=256), nullable=False),
    sa.Column('key_hash', sa.String(length=256), nullable=False),
    sa.Column('lookup_hash', sa.String(length=256), nullable=True),
    sa.Column('key_prefix', sa.String(length=16), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('scopes', sa.Text(), nullable=True),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('created_on', sa.DateTime(), nullable=True),
    sa.Column('expires_on', sa.DateTime(), nullable=True),
    sa.Column('revoked_on', sa.DateTime(), nullable=True),
    sa.Column('last_used_on', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['ab_user.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('lookup_hash'),
    sa.UniqueConstraint('uuid')
    )
    with op.batch_alter_table('ab_api_key', schema=None) as batch_op:
        batch_op.create_index('idx_api_key_lookup_hash', ['lookup_hash'], unique=True)
        batch_op.create_index('idx_api_key_prefix', ['key_prefix'], unique=False)
        batch_op.create_index('idx_api_key_user_id', ['user_id'], unique=False)

    op.create_table('ab_permission_view_role',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('permission_view_id', sa.Integer(), nullable=True),
    sa.Column('role_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['permission_view_id'], ['ab_permission_view.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['role_id'], ['ab_role.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('permission_view_id', 'role_id')
    )
    with op.batch_alter_table('ab_permission_view_role', schema=None) as batch_op:
        batch_op.create_index('idx_permission_view_id', ['permission_view_id'], unique=False)
        batch_op.create_index('idx_role_id', ['role_id'], unique=False)

    op.create_table('ab_user_group',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('group_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['group_id'], ['ab_group.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['ab_user.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('user_id', 'group_id')
    )
    with op.batch_alter_table('ab_user_group', schema=None) as batch_op:
        batch_op.create_index('idx_user_group_id', ['group_id'], unique=False)
        batch_op.create_index('idx_user_id', ['user_id'], unique=False)

    op.create_table('ab_user_role',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('role_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['role_id'], ['ab_role.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['ab_user.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('user_id', 'role_id')
    )
    op.create_table('account_request',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('first_name', sa.String(length=64), nullable=False),
    sa.Column('last_name', sa.String(length=64), nullable=False),
    sa.Column('isikukood', sa.String(length=11), nullable=False),
    sa.Column('email', sa.String(length=320), nullable=False),
    sa.Column('requested_role', sa.String(length=64), nullable=False),
    sa.Column('awarding_body_id', sa.Integer(), nullable=True),
    sa.Column('school_id', sa.Integer(), nullable=True),
    sa.Column('justification', sa.Text(), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('rejection_reason', sa.Text(), nullable=True),
    sa.Column('submitted_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('decided_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('decided_by_id', sa.Integer(), nullable=True),
    sa.Column('created_user_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['awarding_body_id'], ['awarding_body.id'], ),
    sa.ForeignKeyConstraint(['created_user_id'], ['ab_user.id'], ),
    sa.ForeignKeyConstraint(['decided_by_id'], ['ab_user.id'], ),
    sa.ForeignKeyConstraint(['school_id'], ['school.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('account_request', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_account_request_awarding_body_id'), ['awarding_body_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_account_request_created_user_id'), ['created_user_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_account_request_decided_by_id'), ['decided_by_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_account_request_school_id'), ['school_id'], unique=False)
        batch_op.create_index('uq_account_request_open_isikukood', ['isikukood'], unique=True, postgresql_where=sa.text("status = 'open'"), sqlite_where=sa.text("status = 'open'"))

    op.create_table('audit_event',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('actor', sa.String(length=255), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('entity', sa.String(length=60), nullable=False),
    sa.Column('entity_id', sa.Integer(), nullable=True),
    sa.Column('action', sa.String(length=10), nullable=False),
    sa.Column('subject_isikukood', sa.String(length=11), nullable=True),
    sa.Column('changes', sa.JSON(), nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['ab_user.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('audit_event', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_audit_event_actor'), ['actor'], unique=False)
        batch_op.create_index('ix_audit_event_entity_row', ['entity', 'entity_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_audit_event_subject_isikukood'), ['subject_isikukood'], unique=False)
        batch_op.create_index(batch_op.f('ix_audit_event_user_id'), ['user_id'], unique=False)

    op.create_table('committee_member',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('committee_id', sa.Integer(), nullable=False),
    sa.Column('awarding_body_id', sa.Integer(), nullable=False),
    sa.Column('register_id', sa.BigInteger(), nullable=True),
    sa.Column('isikukood', sa.String(length=11), nullable=False),
    sa.Column('name', sa.String(length=255), nullable=False),
    sa.Column('role', sa.String(length=1), nullable=False),
    sa.ForeignKeyConstraint(['awarding_body_id'], ['awarding_body.id'], ),
    sa.ForeignKeyConstraint(['committee_id'], ['qualification_committee.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('register_id')
    )
    with op.batch_alter_table('committee_member', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_committee_member_awarding_body_id'), ['awarding_body_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_committee_member_committee_id'), ['committee_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_committee_member_isikukood'), ['isikukood'], unique=False)

    op.create_table('curriculum_standard_link',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('curriculum_id', sa.Integer(), nullable=False),
    sa.Column('school_id', sa.Integer(), nullable=False),
    sa.Column('standard_id', sa.Integer(), nullable=False),
    sa.Column('specialisation_id', sa.Integer(), nullable=True),
    sa.Column('partial_qualification_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['curriculum_id'], ['curriculum.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['partial_qualification_id'], ['partial_qualification.id'], ),
    sa.ForeignKeyConstraint(['school_id'], ['school.id'], ),
    sa.ForeignKeyConstraint(['specialisation_id'], ['specialisation.id'], ),
    sa.ForeignKeyConstraint(['standard_id'], ['occupational_standard.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('curriculum_id', 'standard_id', 'specialisation_id', 'partial_qualification_id')
    )
    with op.batch_alter_table('curriculum_standard_link', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_curriculum_standard_link_curriculum_id'), ['curriculum_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_curriculum_standard_link_partial_qualification_id'), ['partial_qualification_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_curriculum_standard_link_school_id'), ['school_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_curriculum_standard_link_specialisation_id'), ['specialisation_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_curriculum_standard_link_standard_id'), ['standard_id'], unique=False)

    op.create_table('data_access',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('actor', sa.String(length=255), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('isikukood', sa.String(length=11), nullable=False),
    sa.Column('channel', sa.String(length=10), nullable=False),
    sa.Column('endpoint', sa.String(length=255), nullable=False),
    sa.Column('entity', sa.String(length=60), nullable=False),
    sa.Column('entity_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['ab_user.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('data_access', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_data_access_actor'), ['actor'], unique=False)
        batch_op.create_index(batch_op.f('ix_data_access_isikukood'), ['isikukood'], unique=False)
        batch_op.create_index(batch_op.f('ix_data_access_user_id'), ['user_id'], unique=False)

    op.create_table('enrolment',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('person_id', sa.Integer(), nullable=False),
    sa.Column('curriculum_id', sa.Integer(), nullable=False),
    sa.Column('school_id', sa.Integer(), nullable=False),
    sa.Column('study_language', sa.String(length=2), nullable=True),
    sa.Column('study_form', sa.String(length=20), nullable=True),
    sa.Column('status', sa.String(length=30), nullable=False),
    sa.Column('expected_graduation', sa.Date(), nullable=True),
    sa.Column('graduation_date', sa.Date(), nullable=True),
    sa.Column('standard_id', sa.Integer(), nullable=True),
    sa.Column('awarding_body_id', sa.Integer(), nullable=True),
    sa.Column('routing_problem', sa.Text(), nullable=True),
    sa.Column('candidate_confirmed', sa.Boolean(), nullable=False),
    sa.Column('confirmed_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['awarding_body_id'], ['awarding_body.id'], ),
    sa.ForeignKeyConstraint(['curriculum_id'], ['curriculum.id'], ),
    sa.ForeignKeyConstraint(['person_id'], ['person.id'], ),
    sa.ForeignKeyConstraint(['school_id'], ['school.id'], ),
    sa.ForeignKeyConstraint(['standard_id'], ['occupational_standard.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('person_id', 'curriculum_id')
    )
    with op.batch_alter_table('enrolment', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_enrolment_awarding_body_id'), ['awarding_body_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_enrolment_curriculum_id'), ['curriculum_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_enrolment_expected_graduation'), ['expected_graduation'], unique=False)
        batch_op.create_index(batch_op.f('ix_enrolment_person_id'), ['person_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_enrolment_school_id'), ['school_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_enrolment_standard_id'), ['standard_id'], unique=False)

    op.create_table('exam_session',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('awarding_body_id', sa.Integer(), nullable=False),
    sa.Column('standard_id', sa.Integer(), nullable=False),
    sa.Column('specialisation_id', sa.Integer(), nullable=True),
    sa.Column('partial_qualification_id', sa.Integer(), nullable=True),
    sa.Column('place_school_id', sa.Integer(), nullable=True),
    sa.Column('place_address', sa.String(length=500), nullable=True),
    sa.Column('starts_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('ends_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('language', sa.String(length=2), nullable=False),
    sa.Column('capacity', sa.Integer(), nullable=False),
    sa.Column('registration_deadline', sa.Date(), nullable=True),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.ForeignKeyConstraint(['awarding_body_id'], ['awarding_body.id'], ),
    sa.ForeignKeyConstraint(['partial_qualification_id'], ['partial_qualification.id'], ),
    sa.ForeignKeyConstraint(['place_school_id'], ['school.id'], ),
    sa.ForeignKeyConstraint(['specialisation_id'], ['specialisation.id'], ),
    sa.ForeignKeyConstraint(['standard_id'], ['occupational_standard.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('exam_session', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_exam_session_awarding_body_id'), ['awarding_body_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_exam_session_partial_qualification_id'), ['partial_qualification_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_exam_session_place_school_id'), ['place_school_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_exam_session_specialisation_id'), ['specialisation_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_exam_session_standard_id'), ['standard_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_exam_session_starts_at'), ['starts_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_exam_session_status'), ['status'], unique=False)

    op.create_table('job_run',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=50), nullable=False),
    sa.Column('params', sa.JSON(), nullable=True),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('progress_done', sa.Integer(), nullable=False),
    sa.Column('progress_total', sa.Integer(), nullable=True),
    sa.Column('created_count', sa.Integer(), nullable=False),
    sa.Column('updated_count', sa.Integer(), nullable=False),
    sa.Column('unchanged_count', sa.Integer(), nullable=False),
    sa.Column('rejected_count', sa.Integer(), nullable=False),
    sa.Column('errors', sa.JSON(), nullable=True),
    sa.Column('queued_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('started_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('actor', sa.String(length=255), nullable=True),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('awarding_body_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['awarding_body_id'], ['awarding_body.id'], ),
    sa.ForeignKeyConstraint(['user_id'], ['ab_user.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('job_run', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_job_run_awarding_body_id'), ['awarding_body_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_job_run_kind'), ['kind'], unique=False)
        batch_op.create_index(batch_op.f('ix_job_run_status'), ['status'], unique=False)
        batch_op.create_index(batch_op.f('ix_job_run_user_id'), ['user_id'], unique=False)

    op.create_table('assessor_assignment',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('exam_session_id', sa.Integer(), nullable=False),
    sa.Column('awarding_body_id', sa.Integer(), nullable=False),
    sa.Column('person_id', sa.Integer(), nullable=False),
    sa.Column('role', sa.String(length=10), nullable=False),
    sa.Column('representation', sa.String(length=10), nullable=False),
    sa.Column('employer_name', sa.String(length=255), nullable=True),
    sa.Column('employer_school_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['awarding_body_id'], ['awarding_body.id'], ),
    sa.ForeignKeyConstraint(['employer_school_id'], ['school.id'], ),
    sa.ForeignKeyConstraint(['exam_session_id'], ['exam_session.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['person_id'], ['person.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('exam_session_id', 'person_id')
    )
    with op.batch_alter_table('assessor_assignment', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_assessor_assignment_awarding_body_id'), ['awarding_body_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_assessor_assignment_employer_school_id'), ['employer_school_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_assessor_assignment_exam_session_id'), ['exam_session_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_assessor_assignment_person_id'), ['person_id'], unique=False)

    op.create_table('registration',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('exam_session_id', sa.Integer(), nullable=False),
    sa.Column('enrolment_id', sa.Integer(), nullable=False),
    sa.Column('awarding_body_id', sa.Integer(), nullable=False),
    sa.Column('school_id', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('withdrawal_reason', sa.Text(), nullable=True),
    sa.Column('exam_language', sa.String(length=2), nullable=True),
    sa.Column('special_arrangements_needed', sa.Boolean(), nullable=False),
    sa.Column('special_arrangements', sa.Text(), nullable=True),
    sa.Column('public_consent', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['awarding_body_id'], ['awarding_body.id'], ),
    sa.ForeignKeyConstraint(['enrolment_id'], ['enrolment.id'], ),
    sa.ForeignKeyConstraint(['exam_session_id'], ['exam_session.id'], ),
    sa.ForeignKeyConstraint(['school_id'], ['school.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('exam_session_id', 'enrolment_id')
    )
    with op.batch_alter_table('registration', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_registration_awarding_body_id'), ['awarding_body_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_registration_enrolment_id'), ['enrolment_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_registration_exam_session_id'), ['exam_session_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_registration_school_id'), ['school_id'], unique=False)

    op.create_table('decision',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('registration_id', sa.Integer(), nullable=False),
    sa.Column('awarding_body_id', sa.Integer(), nullable=False),
    sa.Column('school_id', sa.Integer(), nullable=False),
    sa.Column('outcome', sa.String(length=20), nullable=False),
    sa.Column('awarded_standard_id', sa.Integer(), nullable=True),
    sa.Column('decision_date', sa.Date(), nullable=False),
    sa.Column('protocol_number', sa.String(length=50), nullable=True),
    sa.Column('signer_id', sa.Integer(), nullable=True),
    sa.Column('legal_basis', sa.Text(), nullable=True),
    sa.Column('reasons', sa.Text(), nullable=True),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.ForeignKeyConstraint(['awarded_standard_id'], ['occupational_standard.id'], ),
    sa.ForeignKeyConstraint(['awarding_body_id'], ['awarding_body.id'], ),
    sa.ForeignKeyConstraint(['registration_id'], ['registration.id'], ),
    sa.ForeignKeyConstraint(['school_id'], ['school.id'], ),
    sa.ForeignKeyConstraint(['signer_id'], ['committee_member.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('decision', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_decision_awarded_standard_id'), ['awarded_standard_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_decision_awarding_body_id'), ['awarding_body_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_decision_registration_id'), ['registration_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_decision_school_id'), ['school_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_decision_signer_id'), ['signer_id'], unique=False)

    op.create_table('result',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('registration_id', sa.Integer(), nullable=False),
    sa.Column('awarding_body_id', sa.Integer(), nullable=False),
    sa.Column('school_id', sa.Integer(), nullable=False),
    sa.Column('attended', sa.Boolean(), nullable=False),
    sa.Column('proposal', sa.String(length=20), nullable=True),
    sa.Column('comment', sa.Text(), nullable=True),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('submitted_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('reopen_reason', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['awarding_body_id'], ['awarding_body.id'], ),
    sa.ForeignKeyConstraint(['registration_id'], ['registration.id'], ),
    sa.ForeignKeyConstraint(['school_id'], ['school.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('result', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_result_awarding_body_id'), ['awarding_body_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_result_registration_id'), ['registration_id'], unique=True)
        batch_op.create_index(batch_op.f('ix_result_school_id'), ['school_id'], unique=False)

    op.create_table('appeal',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('decision_id', sa.Integer(), nullable=False),
    sa.Column('awarding_body_id', sa.Integer(), nullable=False),
    sa.Column('school_id', sa.Integer(), nullable=False),
    sa.Column('filed_date', sa.Date(), nullable=False),
    sa.Column('late_reason', sa.Text(), nullable=True),
    sa.Column('description', sa.Text(), nullable=True),
    sa.Column('handling_body', sa.String(length=255), nullable=True),
    sa.Column('outcome', sa.String(length=10), nullable=False),
    sa.Column('outcome_date', sa.Date(), nullable=True),
    sa.ForeignKeyConstraint(['awarding_body_id'], ['awarding_body.id'], ),
    sa.ForeignKeyConstraint(['decision_id'], ['decision.id'], ),
    sa.ForeignKeyConstraint(['school_id'], ['school.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('appeal', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_appeal_awarding_body_id'), ['awarding_body_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_appeal_decision_id'), ['decision_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_appeal_school_id'), ['school_id'], unique=False)

    op.create_table('certificate',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('decision_id', sa.Integer(), nullable=True),
    sa.Column('awarding_body_id', sa.Integer(), nullable=False),
    sa.Column('school_id', sa.Integer(), nullable=True),
    sa.Column('person_id', sa.Integer(), nullable=False),
    sa.Column('holder_name', sa.String(length=500), nullable=False),
    sa.Column('isikukood', sa.String(length=11), nullable=True),
    sa.Column('cert_type', sa.String(length=1), nullable=False),
    sa.Column('standard_id', sa.Integer(), nullable=False),
    sa.Column('specialisation_id', sa.Integer(), nullable=True),
    sa.Column('partial_qualification_id', sa.Integer(), nullable=True),
    sa.Column('exam_language', sa.String(length=2), nullable=True),
    sa.Column('issue_date', sa.Date(), nullable=False),
    sa.Column('valid_from', sa.Date(), nullable=False),
    sa.Column('valid_to', sa.Date(), nullable=True),
    sa.Column('signer_id', sa.Integer(), nullable=True),
    sa.Column('name_hidden', sa.Boolean(), nullable=False),
    sa.Column('birth_date_hidden', sa.Boolean(), nullable=False),
    sa.Column('certificate_hidden', sa.Boolean(), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('registration_number', sa.String(length=30), nullable=True),
    sa.Column('register_reference', sa.String(length=64), nullable=True),
    sa.Column('register_errors', sa.Text(), nullable=True),
    sa.Column('duplicate_of_id', sa.Integer(), nullable=True),
    sa.Column('duplicate_reason', sa.String(length=1), nullable=True),
    sa.Column('revoked', sa.Boolean(), nullable=False),
    sa.Column('revoked_reason', sa.Text(), nullable=True),
    sa.Column('revoked_date', sa.Date(), nullable=True),
    sa.ForeignKeyConstraint(['awarding_body_id'], ['awarding_body.id'], ),
    sa.ForeignKeyConstraint(['decision_id'], ['decision.id'], ),
    sa.ForeignKeyConstraint(['duplicate_of_id'], ['certificate.id'], ),
    sa.ForeignKeyConstraint(['partial_qualification_id'], ['partial_qualification.id'], ),
    sa.ForeignKeyConstraint(['person_id'], ['person.id'], ),
    sa.ForeignKeyConstraint(['school_id'], ['school.id'], ),
    sa.ForeignKeyConstraint(['signer_id'], ['committee_member.id'], ),
    sa.ForeignKeyConstraint(['specialisation_id'], ['specialisation.id'], ),
    sa.ForeignKeyConstraint(['standard_id'], ['occupational_standard.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('register_reference'),
    sa.UniqueConstraint('registration_number')
    )
    with op.batch_alter_table('certificate', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_certificate_awarding_body_id'), ['awarding_body_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_certificate_decision_id'), ['decision_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_certificate_duplicate_of_id'), ['duplicate_of_id'], unique=False)
        batch_op.create_index('ix_certificate_holder_name_trgm', ['holder_name'], unique=False, postgresql_using='gin', postgresql_ops={'holder_name': 'gin_trgm_ops'})
        batch_op.create_index(batch_op.f('ix_certificate_isikukood'), ['isikukood'], unique=False)
        batch_op.create_index(batch_op.f('ix_certificate_issue_date'), ['issue_date'], unique=False)
        batch_op.create_index(batch_op.f('ix_certificate_partial_qualification_id'), ['partial_qualification_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_certificate_person_id'), ['person_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_certificate_school_id'), ['school_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_certificate_signer_id'), ['signer_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_certificate_specialisation_id'), ['specialisation_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_certificate_standard_id'), ['standard_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_certificate_status'), ['status'], unique=False)

    op.create_table('competence_result',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('result_id', sa.Integer(), nullable=False),
    sa.Column('awarding_body_id', sa.Integer(), nullable=False),
    sa.Column('school_id', sa.Integer(), nullable=False),
    sa.Column('competence_id', sa.Integer(), nullable=False),
    sa.Column('passed', sa.Boolean(), nullable=True),
    sa.Column('points', sa.Numeric(precision=6, scale=2), nullable=True),
    sa.ForeignKeyConstraint(['awarding_body_id'], ['awarding_body.id'], ),
    sa.ForeignKeyConstraint(['competence_id'], ['competence.id'], ),
    sa.ForeignKeyConstraint(['result_id'], ['result.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['school_id'], ['school.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('result_id', 'competence_id')
    )
    with op.batch_alter_table('competence_result', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_competence_result_awarding_body_id'), ['awarding_body_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_competence_result_competence_id'), ['competence_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_competence_result_result_id'), ['result_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_competence_result_school_id'), ['school_id'], unique=False)


def downgrade():
    with op.batch_alter_table('competence_result', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_competence_result_school_id'))
        batch_op.drop_index(batch_op.f('ix_competence_result_result_id'))
        batch_op.drop_index(batch_op.f('ix_competence_result_competence_id'))
        batch_op.drop_index(batch_op.f('ix_competence_result_awarding_body_id'))

    op.drop_table('competence_result')
    with op.batch_alter_table('certificate', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_certificate_status'))
        batch_op.drop_index(batch_op.f('ix_certificate_standard_id'))
        batch_op.drop_index(batch_op.f('ix_certificate_specialisation_id'))
        batch_op.drop_index(batch_op.f('ix_certificate_signer_id'))
        batch_op.drop_index(batch_op.f('ix_certificate_school_id'))
        batch_op.drop_index(batch_op.f('ix_certificate_person_id'))
        batch_op.drop_index(batch_op.f('ix_certificate_partial_qualification_id'))
        batch_op.drop_index(batch_op.f('ix_certificate_issue_date'))
        batch_op.drop_index(batch_op.f('ix_certificate_isikukood'))
        batch_op.drop_index('ix_certificate_holder_name_trgm', postgresql_using='gin', postgresql_ops={'holder_name': 'gin_trgm_ops'})
        batch_op.drop_index(batch_op.f('ix_certificate_duplicate_of_id'))
        batch_op.drop_index(batch_op.f('ix_certificate_decision_id'))
        batch_op.drop_index(batch_op.f('ix_certificate_awarding_body_id'))

    op.drop_table('certificate')
    with op.batch_alter_table('appeal', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_appeal_school_id'))
        batch_op.drop_index(batch_op.f('ix_appeal_decision_id'))
        batch_op.drop_index(batch_op.f('ix_appeal_awarding_body_id'))

    op.drop_table('appeal')
    with op.batch_alter_table('result', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_result_school_id'))
        batch_op.drop_index(batch_op.f('ix_result_registration_id'))
        batch_op.drop_index(batch_op.f('ix_result_awarding_body_id'))

    op.drop_table('result')
    with op.batch_alter_table('decision', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_decision_signer_id'))
        batch_op.drop_index(batch_op.f('ix_decision_school_id'))
        batch_op.drop_index(batch_op.f('ix_decision_registration_id'))
        batch_op.drop_index(batch_op.f('ix_decision_awarding_body_id'))
        batch_op.drop_index(batch_op.f('ix_decision_awarded_standard_id'))

    op.drop_table('decision')
    with op.batch_alter_table('registration', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_registration_school_id'))
        batch_op.drop_index(batch_op.f('ix_registration_exam_session_id'))
        batch_op.drop_index(batch_op.f('ix_registration_enrolment_id'))
        batch_op.drop_index(batch_op.f('ix_registration_awarding_body_id'))

    op.drop_table('registration')
    with op.batch_alter_table('assessor_assignment', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_assessor_assignment_person_id'))
        batch_op.drop_index(batch_op.f('ix_assessor_assignment_exam_session_id'))
        batch_op.drop_index(batch_op.f('ix_assessor_assignment_employer_school_id'))
        batch_op.drop_index(batch_op.f('ix_assessor_assignment_awarding_body_id'))

    op.drop_table('assessor_assignment')
    with op.batch_alter_table('job_run', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_job_run_user_id'))
        batch_op.drop_index(batch_op.f('ix_job_run_status'))
        batch_op.drop_index(batch_op.f('ix_job_run_kind'))
        batch_op.drop_index(batch_op.f('ix_job_run_awarding_body_id'))

    op.drop_table('job_run')
    with op.batch_alter_table('exam_session', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_exam_session_status'))
        batch_op.drop_index(batch_op.f('ix_exam_session_starts_at'))
        batch_op.drop_index(batch_op.f('ix_exam_session_standard_id'))
        batch_op.drop_index(batch_op.f('ix_exam_session_specialisation_id'))
        batch_op.drop_index(batch_op.f('ix_exam_session_place_school_id'))
        batch_op.drop_index(batch_op.f('ix_exam_session_partial_qualification_id'))
        batch_op.drop_index(batch_op.f('ix_exam_session_awarding_body_id'))

    op.drop_table('exam_session')
    with op.batch_alter_table('enrolment', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_enrolment_standard_id'))
        batch_op.drop_index(batch_op.f('ix_enrolment_school_id'))
        batch_op.drop_index(batch_op.f('ix_enrolment_person_id'))
        batch_op.drop_index(batch_op.f('ix_enrolment_expected_graduation'))
        batch_op.drop_index(batch_op.f('ix_enrolment_curriculum_id'))
        batch_op.drop_index(batch_op.f('ix_enrolment_awarding_body_id'))

    op.drop_table('enrolment')
    with op.batch_alter_table('data_access', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_data_access_user_id'))
        batch_op.drop_index(batch_op.f('ix_data_access_isikukood'))
        batch_op.drop_index(batch_op.f('ix_data_access_actor'))

    op.drop_table('data_access')
    with op.batch_alter_table('curriculum_standard_link', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_curriculum_standard_link_standard_id'))
        batch_op.drop_index(batch_op.f('ix_curriculum_standard_link_specialisation_id'))
        batch_op.drop_index(batch_op.f('ix_curriculum_standard_link_school_id'))
        batch_op.drop_index(batch_op.f('ix_curriculum_standard_link_partial_qualification_id'))
        batch_op.drop_index(batch_op.f('ix_curriculum_standard_link_curriculum_id'))

    op.drop_table('curriculum_standard_link')
    with op.batch_alter_table('committee_member', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_committee_member_isikukood'))
        batch_op.drop_index(batch_op.f('ix_committee_member_committee_id'))
        batch_op.drop_index(batch_op.f('ix_committee_member_awarding_body_id'))

    op.drop_table('committee_member')
    with op.batch_alter_table('audit_event', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_audit_event_user_id'))
        batch_op.drop_index(batch_op.f('ix_audit_event_subject_isikukood'))
        batch_op.drop_index('ix_audit_event_entity_row')
        batch_op.drop_index(batch_op.f('ix_audit_event_actor'))

    op.drop_table('audit_event')
    with op.batch_alter_table('account_request', schema=None) as batch_op:
        batch_op.drop_index('uq_account_request_open_isikukood', postgresql_where=sa.text("status = 'open'"), sqlite_where=sa.text("status = 'open'"))
        batch_op.drop_index(batch_op.f('ix_account_request_school_id'))
        batch_op.drop_index(batch_op.f('ix_account_request_decided_by_id'))
        batch_op.drop_index(batch_op.f('ix_account_request_created_user_id'))
        batch_op.drop_index(batch_op.f('ix_account_request_awarding_body_id'))

    op.drop_table('account_request')
    op.drop_table('ab_user_role')
    with op.batch_alter_table('ab_user_group', schema=None) as batch_op:
        batch_op.drop_index('idx_user_id')
        batch_op.drop_index('idx_user_group_id')

    op.drop_table('ab_user_group')
    with op.batch_alter_table('ab_permission_view_role', schema=None) as batch_op:
        batch_op.drop_index('idx_role_id')
        batch_op.drop_index('idx_permission_view_id')

    op.drop_table('ab_permission_view_role')
    with op.batch_alter_table('ab_api_key', schema=None) as batch_op:
        batch_op.drop_index('idx_api_key_user_id')
        batch_op.drop_index('idx_api_key_prefix')
        batch_op.drop_index('idx_api_key_lookup_hash')

    op.drop_table('ab_api_key')
    with op.batch_alter_table('specialisation', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_specialisation_standard_id'))

    op.drop_table('specialisation')
    with op.batch_alter_table('qualification_committee', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_qualification_committee_awarding_body_id'))

    op.drop_table('qualification_committee')
    with op.batch_alter_table('partial_qualification', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_partial_qualification_standard_id'))

    op.drop_table('partial_qualification')
    with op.batch_alter_table('curriculum', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_curriculum_school_id'))
        batch_op.drop_index('ix_curriculum_name_trgm', postgresql_using='gin', postgresql_ops={'name': 'gin_trgm_ops'})

    op.drop_table('curriculum')
    with op.batch_alter_table('competence', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_competence_standard_id'))

    op.drop_table('competence')
    with op.batch_alter_table('awarding_right', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_awarding_right_standard_id'))
        batch_op.drop_index(batch_op.f('ix_awarding_right_awarding_body_id'))

    op.drop_table('awarding_right')
    with op.batch_alter_table('ab_user', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_ab_user_school_id'))
        batch_op.drop_index(batch_op.f('ix_ab_user_awarding_body_id'))

    op.drop_table('ab_user')
    with op.batch_alter_table('ab_permission_view', schema=None) as batch_op:
        batch_op.drop_index('idx_view_menu_id')
        batch_op.drop_index('idx_permission_id')

    op.drop_table('ab_permission_view')
    with op.batch_alter_table('ab_group_role', schema=None) as batch_op:
        batch_op.drop_index('idx_group_role_id')
        batch_op.drop_index('idx_group_id')

    op.drop_table('ab_group_role')
    with op.batch_alter_table('school', schema=None) as batch_op:
        batch_op.drop_index('ix_school_name_trgm', postgresql_using='gin', postgresql_ops={'name': 'gin_trgm_ops'})

    op.drop_table('school')
    with op.batch_alter_table('person', schema=None) as batch_op:
        batch_op.drop_index('ix_person_last_name_trgm', postgresql_using='gin', postgresql_ops={'last_name': 'gin_trgm_ops'})
        batch_op.drop_index('ix_person_first_name_trgm', postgresql_using='gin', postgresql_ops={'first_name': 'gin_trgm_ops'})

    op.drop_table('person')
    with op.batch_alter_table('occupational_standard', schema=None) as batch_op:
        batch_op.drop_index('ix_occupational_standard_name_trgm', postgresql_using='gin', postgresql_ops={'name': 'gin_trgm_ops'})
        batch_op.drop_index(batch_op.f('ix_occupational_standard_group_id'))
        batch_op.drop_index(batch_op.f('ix_occupational_standard_field'))

    op.drop_table('occupational_standard')
    with op.batch_alter_table('awarding_body', schema=None) as batch_op:
        batch_op.drop_index('ix_awarding_body_name_trgm', postgresql_using='gin', postgresql_ops={'name': 'gin_trgm_ops'})

    op.drop_table('awarding_body')
    op.drop_table('ab_view_menu')
    op.drop_table('ab_role')
    op.drop_table('ab_register_user')
    op.drop_table('ab_permission')
    op.drop_table('ab_group')
