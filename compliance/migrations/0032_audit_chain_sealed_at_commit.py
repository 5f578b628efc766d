"""The chain off the writers' critical path.

Until now every writer locked the chain head and held it until its transaction committed,
so all writers queued on one row. Now a writer inserts its events unsealed, each with the
digest of its content (scheme 2, compliance.audit.chain), and on PostgreSQL a deferred
constraint trigger seals them when the transaction commits: it locks the head (held for
the commit's own instant), numbers the transaction's events in commit order, links each
with sha256(previous hash ":" sequence ":" digest), and moves the head. A rolled-back
transaction never reaches the trigger, so it takes no number and leaves no gap.

The first firing in a transaction seals all its events; the later ones (one per row, a
constraint trigger cannot be per statement) find their row sealed and return. The partial
index finds the transaction's unsealed events: those of other transactions are invisible
to it until they commit, and by then they are sealed.

Events already written keep scheme 1 and their hashes; nothing is rewritten. The
append-only trigger lets through the seal's own update, and nothing else.
"""

from django.db import migrations, models

from compliance.migrations._postgresql import PostgreSQLOnly

SEAL = """
CREATE FUNCTION compliance_auditevent_seal() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    head_sequence bigint;
    head_hash varchar(64);
    pending record;
    sealed varchar(64);
BEGIN
    PERFORM 1 FROM compliance_auditevent WHERE id = NEW.id AND sequence IS NULL;
    IF NOT FOUND THEN
        RETURN NULL;
    END IF;
    SELECT sequence, hash INTO head_sequence, head_hash
        FROM compliance_chainhead WHERE id = 1 FOR UPDATE;
    IF NOT FOUND THEN
        INSERT INTO compliance_chainhead (id, sequence, hash)
            VALUES (1, 0, repeat('0', 64)) ON CONFLICT (id) DO NOTHING;
        SELECT sequence, hash INTO head_sequence, head_hash
            FROM compliance_chainhead WHERE id = 1 FOR UPDATE;
    END IF;
    FOR pending IN
        SELECT id, digest FROM compliance_auditevent WHERE sequence IS NULL ORDER BY id
    LOOP
        head_sequence := head_sequence + 1;
        sealed := encode(sha256(convert_to(
            head_hash || ':' || head_sequence::text || ':' || pending.digest, 'UTF8')), 'hex');
        UPDATE compliance_auditevent
            SET sequence = head_sequence, previous_hash = head_hash, hash = sealed
            WHERE id = pending.id;
        head_hash := sealed;
    END LOOP;
    UPDATE compliance_chainhead SET sequence = head_sequence, hash = head_hash WHERE id = 1;
    RETURN NULL;
END
$$;
CREATE CONSTRAINT TRIGGER auditevent_seal
    AFTER INSERT ON compliance_auditevent
    DEFERRABLE INITIALLY DEFERRED
    FOR EACH ROW EXECUTE FUNCTION compliance_auditevent_seal();

CREATE OR REPLACE FUNCTION compliance_auditevent_refuse_change() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'UPDATE' AND pg_trigger_depth() > 1 THEN
        -- the seal's own update, issued from inside compliance_auditevent_seal()
        RETURN NULL;
    END IF;
    RAISE EXCEPTION 'audit events are append-only: % on % refused', TG_OP, TG_TABLE_NAME
        USING ERRCODE = 'insufficient_privilege';
END
$$;
"""

UNSEAL = """
DROP TRIGGER auditevent_seal ON compliance_auditevent;
DROP FUNCTION compliance_auditevent_seal();
CREATE OR REPLACE FUNCTION compliance_auditevent_refuse_change() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit events are append-only: % on % refused', TG_OP, TG_TABLE_NAME
        USING ERRCODE = 'insufficient_privilege';
END
$$;
"""


class Migration(migrations.Migration):
    dependencies = [("compliance", "0031_requester_download_links")]

    operations = [
        migrations.AddField(
            model_name="auditevent",
            name="digest",
            field=models.CharField(blank=True, max_length=64),
        ),
        # Events already written were chained under scheme 1.
        migrations.AddField(
            model_name="auditevent",
            name="scheme",
            field=models.PositiveSmallIntegerField(default=1),
        ),
        migrations.AlterField(
            model_name="auditevent",
            name="scheme",
            field=models.PositiveSmallIntegerField(default=2),
        ),
        migrations.AlterField(
            model_name="auditevent",
            name="hash",
            field=models.CharField(max_length=64, null=True, unique=True),
        ),
        migrations.AlterField(
            model_name="auditevent",
            name="occurred_at",
            field=models.DateTimeField(db_index=True, help_text="When it was recorded."),
        ),
        migrations.AlterField(
            model_name="auditevent",
            name="previous_hash",
            field=models.CharField(blank=True, max_length=64),
        ),
        migrations.AlterField(
            model_name="auditevent",
            name="sequence",
            field=models.PositiveBigIntegerField(editable=False, null=True, unique=True),
        ),
        migrations.AddIndex(
            model_name="auditevent",
            index=models.Index(
                condition=models.Q(("sequence__isnull", True)),
                fields=["id"],
                name="auditevent_unsealed_idx",
            ),
        ),
        PostgreSQLOnly(SEAL, UNSEAL, hints={"model_name": "auditevent"}),
    ]
