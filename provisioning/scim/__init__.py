"""The SCIM 2.0 service provider at /scim/v2/ (RFC 7643, RFC 7644)."""
