"""The seal looks for its transaction's events from the first of them on.

The seal (0032) found the transaction's unsealed events through the partial index on
`sequence IS NULL`. Sealing updates each event, so every event ever sealed left a dead
entry in that index until a vacuum removed it, and a bitmap scan (the planner's choice
there; unlike a plain index scan it does not mark dead entries to skip) visited each
one's heap page again at every commit: 260 ms a commit after 270,000 events on a
database where autovacuum had not run, and between two autovacuums in production (a table is
vacuumed once a fifth of its rows are dead) a cost that grows with the trail. The first
firing in a transaction is the one for its first event (deferred triggers fire in the
order of the inserts, and a session's ids only grow), so the scan starts at that id: it
reads the transaction's own events, and entries for events sealed before it are never
visited.
"""

from django.db import migrations

from compliance.migrations._postgresql import PostgreSQLOnly

SEAL = """
CREATE OR REPLACE FUNCTION compliance_auditevent_seal() RETURNS trigger
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
        SELECT id, digest FROM compliance_auditevent
            WHERE sequence IS NULL{scan_from} ORDER BY id
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
"""


class Migration(migrations.Migration):
    dependencies = [("compliance", "0033_audit_vocabulary_this_stop")]

    operations = [
        PostgreSQLOnly(
            SEAL.format(scan_from=" AND id >= NEW.id"),
            SEAL.format(scan_from=""),
            hints={"model_name": "auditevent"},
        )
    ]
