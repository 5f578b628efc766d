"""The bench's writes create distinct users: a duplicate would be measured as a cheap 409."""

from bench import dataset, scenarios


def created_users():
    plan = dataset.Plan(users=1000, seed=1)
    built = {s.key: s for s in scenarios.build(plan, scenarios.SMOKE, run_tag="newtag")}
    posts = [built["user_post"].call(n).body or {} for n in range(120)]
    bulks = [built["bulk_1000"].call(n).body or {} for n in range(3)]
    return posts + [op["data"] for bulk in bulks for op in bulk["Operations"]]


def test_every_created_user_has_its_own_user_name_and_external_id():
    users = created_users()

    assert len({user["userName"] for user in users}) == len(users)
    assert len({user["externalId"] for user in users}) == len(users)
