"""/Bulk, with maxOperations and maxPayloadSize enforced (413) and failOnErrors."""

from rest_framework.request import Request
from rest_framework.response import Response

from provisioning.scim.bulk import BULK_RESPONSE, BulkRun
from provisioning.scim.discovery import max_operations
from provisioning.scim.errors import ScimError
from provisioning.scim.pagination import integer_parameter
from provisioning.scim.views_users import UserViewMixin


class BulkView(UserViewMixin):
    http_method_names = ["post"]

    def post(self, request: Request) -> Response:
        body = self.body()
        operations = body.get("Operations")
        if not isinstance(operations, list) or not operations:
            raise ScimError(400, "Operations must be a non-empty list.", "invalidSyntax")
        if len(operations) > max_operations():
            raise ScimError(413, f"At most {max_operations()} operations per request.")
        fail_on_errors = integer_parameter(body.get("failOnErrors"), "failOnErrors")
        results = BulkRun(self, request, fail_on_errors or 0).run(operations)
        return Response({"schemas": [BULK_RESPONSE], "Operations": results})
