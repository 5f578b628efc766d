"""The connector's eraser for data-subject erasure requests.

The DSAR erasure engine calls `connector_erase(person, connector)` for each connector (the
integrator registers it in the eraser registry) and records the returned answer in the
erasure receipt."""

from typing import Any

from provisioning.connectors import downstream
from provisioning.connectors.client import describe_error, scim_client
from provisioning.connectors.client import downstream as translated_errors
from provisioning.connectors.errors import ConnectorError, DownstreamRefused
from provisioning.connectors.models import Connector, DownstreamAccount
from provisioning.models import Person


def connector_erase(person: Person, connector: Connector) -> dict[str, Any]:
    """Delete the person's downstream account, whatever the connector does for leavers
    (erasure is not leaving: a deactivated account still holds the personal data), and
    return the downstream's answer for the receipt:
    {"application", "connector", "downstream_id", "action", "outcome", "detail"}.
    A downstream that refuses the deletion (a 4xx) gets the account deactivated instead,
    and the receipt says so, for the privacy officer to follow up there. Never raises for
    a downstream failure: the receipt records it ("failed")."""
    answer: dict[str, Any] = {
        "application": connector.application.name,
        "connector": str(connector.pk),
        "downstream_id": "",
        "action": Connector.Deprovision.DELETE,
        "outcome": "not-found",
        "detail": "",
    }
    account = DownstreamAccount.objects.filter(connector=connector, person=person).first()
    try:
        scim = scim_client(connector)
        with translated_errors():
            downstream_id = (account.downstream_id if account else "") or downstream.user_find(
                scim, external_id=str(person.pk), user_name=person.user_name
            )
            if not downstream_id:
                return answer
            answer["downstream_id"] = downstream_id
        try:
            with translated_errors():
                existed = downstream.user_delete(scim, user_id=downstream_id)
            answer["outcome"] = "deleted" if existed else "not-found"
        except DownstreamRefused as refused:
            answer["action"] = Connector.Deprovision.DEACTIVATE
            answer["detail"] = f"the downstream refused the deletion: {refused}"
            with translated_errors():
                downstream.user_patch(
                    scim, user_id=downstream_id, replace={"active": False}, remove=[]
                )
                document = downstream.user_read(scim, user_id=downstream_id) or {}
            answer["outcome"] = "deactivated" if document.get("active") is False else "failed"
    except ConnectorError as error:
        answer["outcome"], answer["detail"] = "failed", describe_error(error.__cause__ or error)
    return answer
