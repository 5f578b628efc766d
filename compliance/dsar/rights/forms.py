"""The forms of the one-step rights' workflow pages: each confirms, and asks what the step
needs in named fields (never JSON)."""

from typing import Any

from django import forms

from compliance.dsar.corrections import corrector
from compliance.dsar.forms import ConfirmForm
from compliance.dsar.models import DataSubjectRequest, ObjectionDecision, RequestType

# GDPR Art. 18(1): the cases in which a person may have processing restricted.
RESTRICTION_GROUNDS = [
    ("accuracy contested (Art. 18(1)(a))", "the person contests the accuracy of the data"),
    ("unlawful, erasure opposed (Art. 18(1)(b))", "unlawful processing, erasure opposed"),
    ("needed for legal claims (Art. 18(1)(c))", "no longer needed, but kept for legal claims"),
    ("objection pending (Art. 18(1)(d))", "an objection is being decided"),
]


class CorrectForm(ConfirmForm):
    """One field per correctable attribute, filled with what is held now: the officer
    changes those the person says are wrong; the others stay as they are."""

    def __init__(self, data: Any = None, *, request: DataSubjectRequest) -> None:
        registered = corrector()
        subject = str(request.person_id) if request.person_id else ""
        held = registered.current(subject) if subject else {}
        super().__init__(data, initial=held)
        confirm = self.fields.pop("confirm")
        self.fields.update(registered.fields(subject) if subject else {})
        self.fields["confirm"] = confirm

    def clean(self) -> dict[str, Any]:
        """Adds `corrections`: the attributes the officer changed, with their new values."""
        cleaned = super().clean() or {}
        changed = [name for name in self.changed_data if name != "confirm"]
        if not changed and not self.errors:
            raise forms.ValidationError("Change the attributes the person says are wrong.")
        cleaned["corrections"] = {name: cleaned[name] for name in changed if name in cleaned}
        return cleaned


class RestrictForm(ConfirmForm):
    ground = forms.ChoiceField(
        choices=RESTRICTION_GROUNDS,
        help_text="Why the person asked; kept encrypted in the audit trail.",
    )


class LiftForm(ConfirmForm):
    reason = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Why the restriction ends. Tell the person before you lift it "
        "(Art. 18(3)). Kept encrypted in the audit trail.",
    )


class ObjectionForm(ConfirmForm):
    decision = forms.ChoiceField(choices=ObjectionDecision.choices, widget=forms.RadioSelect)
    grounds = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="To reject, state the compelling legitimate grounds that override the "
        "person's interests, rights and freedoms, or the legal claims (Art. 21(1)). Kept "
        "encrypted in the audit trail.",
    )

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if (
            cleaned.get("decision") == ObjectionDecision.REJECTED
            and not cleaned.get("grounds", "").strip()
        ):
            self.add_error("grounds", "State the compelling legitimate grounds to reject.")
        return cleaned


class FollowUpForm(ConfirmForm):
    type = forms.ChoiceField(
        label="Open",
        choices=[
            (RequestType.RESTRICTION, "a restriction of processing for this person"),
            (RequestType.DELETION, "an erasure of this person"),
        ],
        widget=forms.RadioSelect,
        help_text="The new request is verified as this one was; you fulfil it on its page.",
    )
