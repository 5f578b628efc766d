"""The invariant "an inactive person holds no active grant", enforced by PostgreSQL too.

Two deferred constraint triggers check it at commit, so a transaction may deactivate a
person and then revoke their grants (as person_set_active does), but can never commit
one without the other, whichever code path (or raw SQL) wrote it. SQLite, the embedded
development database, relies on the services alone."""

from django.db import migrations

CREATE = """
CREATE FUNCTION provisioning_grant_holder_active() RETURNS trigger AS $$
BEGIN
    -- Deferred: check the row as it is at commit, not as it was when written.
    IF EXISTS (
        SELECT 1 FROM provisioning_accessgrant AS grant_row
        JOIN provisioning_person AS person ON person.id = grant_row.person_id
        WHERE grant_row.id = NEW.id AND grant_row.status = 'active' AND NOT person.active
    ) THEN
        RAISE EXCEPTION 'an inactive person cannot hold an active grant (grant %)', NEW.id
            USING ERRCODE = 'check_violation';
    END IF;
    RETURN NULL;
END $$ LANGUAGE plpgsql;

CREATE CONSTRAINT TRIGGER accessgrant_holder_active
    AFTER INSERT OR UPDATE OF status, person_id ON provisioning_accessgrant
    DEFERRABLE INITIALLY DEFERRED
    FOR EACH ROW EXECUTE FUNCTION provisioning_grant_holder_active();

CREATE FUNCTION provisioning_inactive_person_has_no_grants() RETURNS trigger AS $$
BEGIN
    IF EXISTS (
        SELECT 1 FROM provisioning_person AS person
        JOIN provisioning_accessgrant AS grant_row ON grant_row.person_id = person.id
        WHERE person.id = NEW.id AND NOT person.active AND grant_row.status = 'active'
    ) THEN
        RAISE EXCEPTION 'person % was deactivated while holding active grants', NEW.id
            USING ERRCODE = 'check_violation';
    END IF;
    RETURN NULL;
END $$ LANGUAGE plpgsql;

CREATE CONSTRAINT TRIGGER person_inactive_has_no_grants
    AFTER UPDATE OF active ON provisioning_person
    DEFERRABLE INITIALLY DEFERRED
    FOR EACH ROW EXECUTE FUNCTION provisioning_inactive_person_has_no_grants();
"""

DROP = """
DROP TRIGGER IF EXISTS person_inactive_has_no_grants ON provisioning_person;
DROP FUNCTION IF EXISTS provisioning_inactive_person_has_no_grants();
DROP TRIGGER IF EXISTS accessgrant_holder_active ON provisioning_accessgrant;
DROP FUNCTION IF EXISTS provisioning_grant_holder_active();
"""


def create(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE, params=None)


def drop(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP, params=None)


class Migration(migrations.Migration):
    dependencies = [
        ("provisioning", "0003_access_governance"),
    ]

    operations = [migrations.RunPython(create, drop)]
