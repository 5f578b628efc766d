"""The connector's eraser for data-subject erasure requests.

The DSAR erasure engine calls `connector_erase(person, connector)` for each connector (the
integrator registers it in the eraser registry) and records the returned answer in the
erasure receipt."""

from typing import Any

from provisioning.connectors import downstream
from provisioning.connectors.client import describe_error, scim_client
from provisioning.connectors.client import downstream as translated_errors
from provisioning.connectors.errors import ConnectorError
from provisioning.connectors.models import Connector, DownstreamAccount
from provisioning.models import Person


def connector_erase(person: Person, connector: Connector) -> dict[str, Any]:
    """Delete or deactivate the person's downstream account, as the connector's
    deprovisioning mode says, and return the downstream's answer for the receipt:
    {"application", "connector", "downstream_id", "action", "outcome", "detail"}.
    Never raises for a downstream failure: the receipt records it ("failed") so that the
    privacy officer can follow up."""
    answer: dict[str, Any] = {
        "application": connector.application.name,
        "connector": str(connector.pk),
        "downstream_id": "",
        "action": connector.deprovision,
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
            if connector.deprovision == Connector.Deprovision.DELETE:
                existed = downstream.user_delete(scim, user_id=downstream_id)
                answer["outcome"] = "deleted" if existed else "not-found"
            else:
                downstream.user_patch(
                    scim, user_id=downstream_id, replace={"active": False}, remove=[]
                )
                document = downstream.user_read(scim, user_id=downstream_id) or {}
                answer["outcome"] = "deactivated" if document.get("active") is False else "failed"
    except ConnectorError as error:
        answer["outcome"], answer["detail"] = "failed", describe_error(error.__cause__ or error)
    return answer
