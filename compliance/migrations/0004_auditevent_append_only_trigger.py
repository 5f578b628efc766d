"""On PostgreSQL, the database itself refuses to change or remove audit events: the model's
refusal stops the ORM, this trigger stops raw SQL (a console, a script, a bad migration).
SQLite has no TRUNCATE and no statement triggers; there the model's guard is the only one."""

from django.db import migrations

from compliance.migrations._postgresql import PostgreSQLOnly

FORWARD = """
CREATE FUNCTION compliance_auditevent_refuse_change() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit events are append-only: % on % refused', TG_OP, TG_TABLE_NAME
        USING ERRCODE = 'insufficient_privilege';
END
$$;
CREATE TRIGGER auditevent_append_only
    BEFORE UPDATE OR DELETE OR TRUNCATE ON compliance_auditevent
    FOR EACH STATEMENT EXECUTE FUNCTION compliance_auditevent_refuse_change();
"""

BACKWARD = """
DROP TRIGGER auditevent_append_only ON compliance_auditevent;
DROP FUNCTION compliance_auditevent_refuse_change();
"""


class Migration(migrations.Migration):
    dependencies = [("compliance", "0003_audit_vocabulary")]
    operations = [PostgreSQLOnly(FORWARD, BACKWARD, hints={"model_name": "auditevent"})]
