"""django-scim2's adapters, fitted to the peer's models: what its documentation asks every
project to write. Behaviour is the library's; only model access is adapted."""

from django_scim import constants, exceptions
from django_scim.adapters import SCIMGroup, SCIMUser

from bench.peers.djscim.people.models import User

ENTERPRISE = constants.SchemaURI.ENTERPRISE_USER


class PeerUser(SCIMUser):
    @property
    def emails(self):
        return [{"value": self.obj.email, "type": self.obj.email_type, "primary": True}]

    def to_dict(self):
        d = super().to_dict()
        d["schemas"] = [constants.SchemaURI.USER, ENTERPRISE]
        d["title"] = self.obj.title
        d[ENTERPRISE] = {
            "employeeNumber": self.obj.employee_number,
            "department": self.obj.department,
            "costCenter": self.obj.cost_center,
            "organization": self.obj.organization,
            "division": self.obj.division,
        }
        return d

    def from_dict(self, d):
        super().from_dict(d)
        self.obj.title = d.get("title") or ""
        enterprise = d.get(ENTERPRISE) or {}
        for attribute, field in (
            ("employeeNumber", "employee_number"),
            ("department", "department"),
            ("costCenter", "cost_center"),
            ("organization", "organization"),
            ("division", "division"),
        ):
            setattr(self.obj, field, enterprise.get(attribute) or "")


class PeerGroup(SCIMGroup):
    @property
    def members(self):
        users = self.obj.members.all()
        dicts = []
        for user in (PeerUser(u, self.request) for u in users):
            dicts.append({"value": user.id, "$ref": user.location, "display": user.display_name})
        return dicts

    def _users(self, value):
        # The library looks members up by integer primary key; SCIM sends the resource id.
        ids = [member.get("value") for member in value or []]
        users = list(User.objects.filter(scim_id__in=ids))
        if len(users) != len(ids):
            raise exceptions.BadRequestError("Can not change membership of a non-existent user")
        return users

    def handle_add(self, path, value, operation):
        if path.first_path != ("members", None, None):
            raise exceptions.NotImplementedError
        self.obj.members.add(*self._users(value))

    def handle_remove(self, path, value, operation):
        if path.first_path != ("members", None, None):
            raise exceptions.NotImplementedError
        self.obj.members.remove(*self._users(value))
