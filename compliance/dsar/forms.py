"""Forms of the privacy officers' workflow steps (each a confirmation page in the admin)."""

from typing import Any

from django import forms

from compliance.dsar.deadlines import GDPR_MAX_EXTENSION_MONTHS
from compliance.dsar.models import (
    ONLY_UNDER,
    DataSubjectRequest,
    DenialBasis,
    VerificationMethod,
)


class ReceiveForm(forms.ModelForm[DataSubjectRequest]):
    subject_identifiers = forms.JSONField(
        required=False,
        initial=dict,
        help_text='Identifiers the requester gave, as JSON, e.g. {"email": "a@example.org"}. '
        "Needed when no person matches; hashed once the subject is erased.",
    )

    class Meta:
        model = DataSubjectRequest
        fields = ("regulation", "type", "person", "subject_identifiers")
        help_texts = {"person": "The person the request is about, if one matches."}

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        identifiers = cleaned.get("subject_identifiers") or {}
        if not isinstance(identifiers, dict) or not all(
            isinstance(value, str) for value in identifiers.values()
        ):
            self.add_error("subject_identifiers", 'Give an object of strings: {"kind": "value"}.')
        elif not cleaned.get("person") and not identifiers:
            raise forms.ValidationError("Choose the person or give the identifiers received.")
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
