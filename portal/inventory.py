"""The project's entries in the personal-data inventory (compliance.inventory): the staff
accounts, registered in PortalConfig.ready()."""

from compliance.inventory import Category, Declarations, LawfulBasis, PersonalField, Technical

STAFF_USER = "portal.StaffUser"
STAFF_SOURCE = "IT, when the staff account is created"

DECLARATIONS = Declarations(
    app="portal",
    personal=(
        PersonalField(
            STAFF_USER,
            "username",
            Category.IDENTITY,
            "To sign staff in and attribute their actions in the audit trail.",
            lawful_basis=LawfulBasis.LEGITIMATE_INTERESTS,
            source=STAFF_SOURCE,
            recipients=(),
        ),
        *(
            PersonalField(
                STAFF_USER,
                name,
                Category.IDENTITY,
                "To address staff and reach them about their work in the portal.",
                lawful_basis=LawfulBasis.LEGITIMATE_INTERESTS,
                source=STAFF_SOURCE,
                recipients=(),
            )
            for name in ("first_name", "last_name", "email")
        ),
    ),
    technical=(
        Technical(
            STAFF_USER,
            (
                "id",
                "password",
                "last_login",
                "is_superuser",
                "is_staff",
                "is_active",
                "date_joined",
                "groups",
                "user_permissions",
            ),
        ),
    ),
)
