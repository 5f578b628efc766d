"""The reviewer's forms: one item's decision, and a decision for many items at once. The
admin's review pages post the same forms."""

from django import forms

from provisioning.models import ReviewItem
from provisioning.services.review_decisions import ItemDecision

Decision = ReviewItem.Decision
COMMENT_MAX = 2000


class ItemDecisionForm(forms.Form):
    item = forms.IntegerField(widget=forms.HiddenInput)
    decision = forms.ChoiceField(
        choices=[
            (Decision.KEEP, "keep"),
            (Decision.REVOKE, "revoke"),
            (Decision.SHORTEN, "shorten"),
        ]
    )
    comment = forms.CharField(required=False, max_length=COMMENT_MAX)
    shorten_to = forms.DateField(required=False)

    def decisions(self) -> list[ItemDecision]:
        data = self.cleaned_data
        return [ItemDecision(data["item"], data["decision"], data["comment"], data["shorten_to"])]


class BulkDecisionForm(forms.Form):
    items = forms.TypedMultipleChoiceField(
        coerce=int, error_messages={"required": "Select the items to decide."}
    )
    decision = forms.ChoiceField(
        choices=[(Decision.KEEP, "keep them all"), (Decision.REVOKE, "revoke them all")],
        error_messages={"required": "Choose keep or revoke for the selected items."},
    )
    comment = forms.CharField(
        required=False,
        max_length=COMMENT_MAX,
        help_text="Required to keep high-risk access; applies to every selected item.",
    )
    confirm = forms.BooleanField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args: object, pending: list[int], **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.fields["items"].choices = [(pk, pk) for pk in pending]  # type: ignore[attr-defined]

    def decisions(self) -> list[ItemDecision]:
        data = self.cleaned_data
        return [ItemDecision(pk, data["decision"], data["comment"]) for pk in data["items"]]
