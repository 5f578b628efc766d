"""Copying the bench data set from the portal's database into the peer's, table by table
with COPY TO/FROM streams, so that both serve the same people and groups."""

from __future__ import annotations

from typing import Any

USERS = """COPY (
    SELECT p.id::text, p.id::text, p.external_id, p.user_name, p.user_name, p.given_name,
           p.family_name, coalesce(e.value, ''), coalesce(e.type, 'work'), p.active, p.created,
           p.title, p.employee_number, p.department, p.cost_center, p.organization, p.division
    FROM provisioning_person p
    LEFT JOIN provisioning_personemail e ON e.person_id = p.id AND e."primary"
    ORDER BY p.created, p.id
) TO STDOUT"""
GROUPS = """COPY (
    SELECT id::text, external_id, display_name, display_name FROM provisioning_group
    ORDER BY created, id
) TO STDOUT"""
MEMBERSHIPS = """COPY (
    SELECT group_id::text, person_id::text FROM provisioning_membership
) TO STDOUT"""


def _stream(source: Any, target: Any, read: str, write: str) -> None:
    with (
        source.cursor() as out_cursor,
        target.cursor() as in_cursor,
        out_cursor.copy(read) as out,
        in_cursor.copy(write) as into,
    ):
        for chunk in out:
            into.write(chunk)


def copy_to_peer(source: Any, target: Any) -> None:
    """Replace the peer's users and groups with the portal's, in one transaction on the peer."""
    with target.transaction():
        target.execute(
            "TRUNCATE people_group_members, people_group, people_user RESTART IDENTITY CASCADE"
        )
        # The user's scim_username and userName are one value: the COPY fills a staging
        # column list that names username twice, so it goes through a temporary table.
        target.execute(
            "CREATE TEMP TABLE stage_user (scim_id text, scim_username text,"
            " scim_external_id text, username text, username_again text, first_name text,"
            " last_name text, email text, email_type text, is_active boolean,"
            " date_joined timestamptz, title text, employee_number text, department text,"
            " cost_center text, organization text, division text) ON COMMIT DROP"
        )
        _stream(source, target, USERS, "COPY stage_user FROM STDIN")
        target.execute(
            "INSERT INTO people_user (scim_id, scim_username, scim_external_id, username,"
            " first_name, last_name, email, email_type, is_active, date_joined, title,"
            " employee_number, department, cost_center, organization, division)"
            " SELECT scim_id, scim_username, scim_external_id, username, first_name, last_name,"
            " email, email_type, is_active, date_joined, title, employee_number, department,"
            " cost_center, organization, division FROM stage_user"
        )
        _stream(
            source,
            target,
            GROUPS,
            "COPY people_group (scim_id, scim_external_id, name, scim_display_name) FROM STDIN",
        )
        target.execute(
            "CREATE TEMP TABLE stage_member (group_scim_id text, user_scim_id text) ON COMMIT DROP"
        )
        _stream(source, target, MEMBERSHIPS, "COPY stage_member FROM STDIN")
        target.execute(
            "INSERT INTO people_group_members (group_id, user_id)"
            " SELECT g.id, u.id FROM stage_member s"
            " JOIN people_group g ON g.scim_id = s.group_scim_id"
            " JOIN people_user u ON u.scim_id = s.user_scim_id"
        )
    target.execute("ANALYZE people_user, people_group, people_group_members")
