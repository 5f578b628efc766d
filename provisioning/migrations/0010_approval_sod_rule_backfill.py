"""Record, on the open separation-of-duties stages made before stages recorded their rule,
the rule that most likely added them, so that a change of reviewer, a rule that now
refuses or a deleted rule reaches them too.

A stage did not record its rule, so this guesses as the portal used to: a rule over the
request's role whose reviewer's address is the stage's, or that of a stage it was handed
on from (a reviewer changed, an escalation); with several, the one whose other role the
person holds. A stage for which no single rule fits keeps no rule and is decided as
before. Decided stages are history and are left as they were."""

from django.db import migrations
from django.db.models import Q

OPEN = ("waiting", "pending")


def backfill(apps, schema_editor):
    Approval = apps.get_model("provisioning", "Approval")
    SodRule = apps.get_model("provisioning", "SodRule")
    AccessGrant = apps.get_model("provisioning", "AccessGrant")
    stages = Approval.objects.filter(
        kind="sod", decision__in=OPEN, request__status="pending", sod_rule=None
    ).select_related("request")
    for stage in stages.iterator():
        addresses, step = [stage.approver_email], stage
        while step.escalated_from_id is not None:
            step = Approval.objects.get(pk=step.escalated_from_id)
            addresses.append(step.approver_email)
        role_id = stage.request.role_id
        addressed = Q()
        for address in addresses:
            addressed |= Q(extra_approver__email__iexact=address)
        rules = list(
            SodRule.objects.filter(Q(role_a_id=role_id) | Q(role_b_id=role_id))
            .filter(addressed, effect="extra-approval")
            .distinct()
        )
        if len(rules) > 1:
            held = set(
                AccessGrant.objects.filter(
                    person_id=stage.request.person_id, status="active"
                ).values_list("role_id", flat=True)
            )
            rules = [
                rule
                for rule in rules
                if (rule.role_b_id if rule.role_a_id == role_id else rule.role_a_id) in held
            ]
        if len(rules) == 1:
            stage.sod_rule = rules[0]
            stage.save(update_fields=["sod_rule"])


class Migration(migrations.Migration):
    dependencies = [
        ("provisioning", "0009_approval_sod_rule"),
    ]

    operations = [
        migrations.RunPython(backfill, migrations.RunPython.noop),
    ]
