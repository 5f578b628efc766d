"""The load run's downstream groups: the data set's first ordinary groups mapped on Slack's
connector (which `seed_demo --downstream` made), then one reconciliation, so that the
identity providers' membership PATCHes are pushed on like every other write.

    python -m bench.idp_setup --users 1000 --groups 4
"""

from __future__ import annotations

import argparse
import os
import sys

from bench import dataset


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--users", type=int, required=True)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--groups", type=int, default=4)
    args = parser.parse_args(argv)

    import django

    django.setup()
    from compliance.audit.actor import Actor
    from compliance.audit.vocabulary import Channel
    from provisioning.connectors import services
    from provisioning.connectors.models import Connector, GroupMapping
    from provisioning.connectors.reconcile import connector_reconcile

    actor = Actor.system("bench idp_load", channel=Channel.CLI)
    connector = Connector.objects.get(application__name="Slack")
    plan = dataset.Plan(users=args.users, seed=args.seed)
    for number, group_id in enumerate(dataset.group_ids(plan)[: args.groups]):
        if not GroupMapping.objects.filter(connector=connector, group_id=group_id).exists():
            services.group_mapping_save(
                actor=actor,
                mapping=GroupMapping(
                    connector=connector, group_id=group_id, downstream_name=f"idp-{number}"
                ),
            )
    report = connector_reconcile(connector_id=connector.pk)
    print(f"Mapped {args.groups} groups; reconciled: {report}")
    return 0


if __name__ == "__main__":
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")
    sys.exit(main())
