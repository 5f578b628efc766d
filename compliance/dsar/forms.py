"""Forms of the privacy officers' workflow steps (each a confirmation page in the admin)."""

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from django import forms
from django.conf import settings
from django.contrib.admin.widgets import AdminSplitDateTime
from django.utils import timezone

from compliance.dsar.agents import MAX_PROOF_BYTES
from compliance.dsar.deadlines import GDPR_MAX_EXTENSION_MONTHS
from compliance.dsar.models import (
    ONLY_UNDER,
    DataPoint,
    DataSubjectRequest,
    DenialBasis,
    VerificationMethod,
)

# The identifiers a requester may give when no person is chosen, as named fields; they
# are kept as {kind: value} on the request and hashed once the subject is erased.
IDENTIFIER_FIELDS = {
    "name": "Full name",
    "email": "E-mail address",
    "user_name": "Username",
    "employee_number": "Employee number",
    "phone": "Telephone number",
}


class ReceiveForm(forms.ModelForm[DataSubjectRequest]):
    """Logging a request as a privacy officer would: the person chosen by name, username
    or e-mail, or the requester's identifiers typed into named fields; when and how it
    arrived, in the organisation's time zone; where to send the notices."""

    received_at = forms.SplitDateTimeField(
        label="Received at",
        widget=AdminSplitDateTime,
        help_text="When the request reached the organisation, in its time zone "
        "(the deadlines count from that day). Leave empty for now.",
        required=False,
    )
    name = forms.CharField(label="Full name", max_length=200, required=False)
    email = forms.EmailField(label="E-mail address", required=False)
    user_name = forms.CharField(label="Username", max_length=150, required=False)
    employee_number = forms.CharField(label="Employee number", max_length=64, required=False)
    phone = forms.CharField(label="Telephone number", max_length=64, required=False)

    class Meta:
        model = DataSubjectRequest
        fields = ("regulation", "type", "channel", "person", "contact_email")
        help_texts = {
            "person": "Type a name, username or e-mail address. Leave empty when no one "
            "matches, and give what the requester told you below.",
            "contact_email": "Where the requester wants the notices (acknowledgement, "
            "verification code, answer). Empty: the address they gave, or the one on file.",
            "channel": "How the request arrived.",
        }
        labels = {"contact_email": "Requester's contact e-mail"}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if "channel" in self.fields:  # the add form; a logged request is read-only
            self.fields["channel"].required = True
        if "received_at" in self.fields:
            zone = settings.ORGANISATION_TIME_ZONE
            self.fields["received_at"].help_text = (
                f"When the request reached the organisation, in {zone} time (the deadlines "
                "count from that day). Leave empty for now."
            )

    def clean_received_at(self) -> datetime | None:
        moment: datetime | None = self.cleaned_data.get("received_at")
        if moment is None:
            return None
        # The widget's date and time are a wall clock where the organisation is, not in
        # the server's zone the field read them in.
        wall_clock = timezone.make_naive(moment) if timezone.is_aware(moment) else moment
        aware = timezone.make_aware(wall_clock, ZoneInfo(settings.ORGANISATION_TIME_ZONE))
        if aware > timezone.now():
            raise forms.ValidationError("A request cannot be received in the future.")
        return aware

    def identifiers(self) -> dict[str, str]:
        return {
            kind: str(self.cleaned_data[kind]).strip()
            for kind in IDENTIFIER_FIELDS
            if str(self.cleaned_data.get(kind) or "").strip()
        }

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if not cleaned.get("person") and not self.identifiers():
            raise forms.ValidationError(
                "Choose the person, or give at least one of the requester's identifiers."
            )
        only_under = ONLY_UNDER.get(cleaned.get("type", ""))
        if only_under and cleaned.get("regulation") not in (None, only_under):
            self.add_error("type", f"Only {only_under.upper()} gives this right.")
        return cleaned


class ConfirmForm(forms.Form):
    confirm = forms.BooleanField(
        required=True, label="I confirm", help_text="This step is recorded in the audit trail."
    )


class VerifyForm(ConfirmForm):
    method = forms.ChoiceField(
        choices=VerificationMethod.choices,
        help_text="How the requester's identity was checked.",
    )
    data_points = forms.MultipleChoiceField(
        choices=DataPoint.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        label="Data points that matched",
        help_text="What the requester gave that matches the records. Two give a reasonable "
        "degree of certainty (enough for the categories held); three and a signed declaration "
        "a reasonably high degree, needed for an export or an erasure (CCPA §7062). Signing "
        "in through the company's identity provider, or an HR check in person, needs none.",
    )
    declaration = forms.BooleanField(
        required=False,
        label="Signed declaration received",
        help_text="The requester signed a declaration under penalty of perjury that they are "
        "the person the request is about.",
    )


class CodeForm(forms.Form):
    code = forms.CharField(
        max_length=12,
        label="One-time code",
        help_text="The code the requester sent back.",
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric"}),
    )


class AgentForm(ConfirmForm):
    name = forms.CharField(max_length=200, label="Agent's name")
    email = forms.EmailField(
        label="Agent's e-mail", help_text="The agent receives the notices too."
    )
    proof = forms.FileField(
        label="Signed permission",
        help_text="The document the consumer signed to let the agent act for them (PDF or "
        "image, up to 5 MB). It is stored encrypted under the consumer's key.",
    )

    def clean_proof(self) -> Any:
        proof = self.cleaned_data["proof"]
        if proof.size > MAX_PROOF_BYTES:
            raise forms.ValidationError("The document is larger than 5 MB.")
        return proof


class ExtendForm(ConfirmForm):
    months = forms.IntegerField(
        min_value=1,
        max_value=GDPR_MAX_EXTENSION_MONTHS,
        initial=GDPR_MAX_EXTENSION_MONTHS,
        help_text="GDPR only: one or two further months. CCPA extensions are always 45 days.",
    )
    reason = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Why more time is needed; the requester is told with this notice. "
        "Do not name the person.",
    )


class DenyForm(ConfirmForm):
    basis = forms.ChoiceField(
        choices=DenialBasis.choices, help_text="The legal basis for refusing."
    )


class HoldForm(forms.Form):
    reason = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Why the person's data must be kept (case or obligation).",
    )
