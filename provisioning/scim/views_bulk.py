"""/Bulk, with maxOperations and maxPayloadSize enforced (413) and failOnErrors."""

from typing import Any

from rest_framework.request import Request
from rest_framework.response import Response

from provisioning.scim.base import ScimView
from provisioning.scim.bulk import BULK_RESPONSE, error_result, run_operation
from provisioning.scim.discovery import max_operations
from provisioning.scim.errors import ScimError
from provisioning.scim.pagination import integer_parameter


class BulkView(ScimView):
    http_method_names = ["post"]

    def post(self, request: Request) -> Response:
        body = self.body()
        operations = body.get("Operations")
        if not isinstance(operations, list) or not operations:
            raise ScimError(400, "Operations must be a non-empty list.", "invalidSyntax")
        if len(operations) > max_operations():
            raise ScimError(413, f"At most {max_operations()} operations per request.")
        fail_on_errors = integer_parameter(body.get("failOnErrors"), "failOnErrors")
        created: dict[str, str] = {}
        results: list[dict[str, Any]] = []
        errors = 0
        for operation in operations:
            try:
                result = run_operation(request, operation, created)
            except ScimError as error:
                result = error_result(operation, error)
            results.append(result)
            if int(result["status"]) >= 400:
                errors += 1
                if fail_on_errors and errors >= fail_on_errors:
                    break
        return Response({"schemas": [BULK_RESPONSE], "Operations": results})
