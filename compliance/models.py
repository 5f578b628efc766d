from compliance.audit.models import AuditEvent, ChainHead, SubjectKey

__all__ = ["AuditEvent", "ChainHead", "SubjectKey"]
