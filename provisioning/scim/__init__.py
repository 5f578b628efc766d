"""The SCIM 2.0 service provider: the wire format of identity providers, kept out of the
domain. See DESIGN.md."""
