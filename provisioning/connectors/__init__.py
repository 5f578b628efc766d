"""Outbound provisioning: the portal pushes people and their access to downstream
applications over SCIM 2.0, retries, dead-letters and reconciles.

Entry points for the other parts of the portal:
- `provisioning.signals` (person_changed, membership_changed, access_changed) trigger pushes;
- `provisioning.connectors.erasure.connector_erase` is the eraser a DSAR calls per connector;
- `provisioning.connectors.selectors.person_entitlements` is where grants come in.
"""
