"""The transactional outbox: side effects that must happen (downstream pushes, e-mails,
data-subject request runs, template re-application) are written as rows in the same
transaction as the change that promises them, and handed to Celery from there.

- `queue.outbox_put` writes the rows (in the caller's transaction) and asks for a relay
  once it commits;
- `relay.relay` hands waiting rows to the broker and marks them sent; the beat task
  `compliance.outbox_sweep` relays whatever the on-commit relay could not (the broker was
  down), hands again what was sent but never done, and prunes delivered rows;
- `consumer.OutboxTask` is the base of every task the outbox sends: the Celery task id is
  the row's id, and a message already delivered is not run again.

It lives in compliance, the foundation, so that both apps can use it without importing
upwards.
"""
