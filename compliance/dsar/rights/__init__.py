"""The rights fulfilled in one step by a privacy officer rather than by a task: correction,
restriction and its lifting, objection, and the CCPA choices (opt-out of sale or sharing,
limit on sensitive personal information)."""
