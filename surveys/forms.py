from django import forms
from django.utils.translation import gettext_lazy as _

from loyalty.images import checked_image
from surveys.models import SCALES, TEXT_LIMITS, Category, QuestionKind, Remedy

REQUIRED_MESSAGE = _("Please answer this question.")


class ScaleWidget(forms.RadioSelect):
    """A row of numbered buttons (radio inputs underneath, so keyboards and screen readers
    work as for any radio group)."""

    template_name = "surveys/widgets/scale.html"
    option_template_name = "surveys/widgets/scale_option.html"


class SurveyForm(forms.Form):
    """One field per question, named q_<id>; `answers()` maps question ids to values."""

    def __init__(self, questions, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.questions = list(questions)
        for question in self.questions:
            self.fields[self.field_name(question)] = self._field(question)

    @staticmethod
    def field_name(question):
        return f"q_{question.pk}"

    def _field(self, question):
        common = {
            "label": question.text,
            "help_text": question.help_text,
            "required": question.required,
            "error_messages": {"required": REQUIRED_MESSAGE},
        }
        if question.kind in SCALES:
            low, high = SCALES[question.kind]
            return forms.TypedChoiceField(
                choices=[(number, str(number)) for number in range(low, high + 1)],
                coerce=int,
                widget=ScaleWidget,
                empty_value=None,
                **common,
            )
        if question.kind == QuestionKind.YES_NO:
            return forms.TypedChoiceField(
                choices=[(1, _("Yes")), (0, _("No"))],
                coerce=int,
                widget=forms.RadioSelect,
                empty_value=None,
                **common,
            )
        if question.kind == QuestionKind.SINGLE:
            return forms.TypedChoiceField(
                choices=[(choice.pk, choice.label) for choice in question.choices.all()],
                coerce=int,
                widget=forms.RadioSelect,
                empty_value=None,
                **common,
            )
        if question.kind == QuestionKind.MULTIPLE:
            return forms.TypedMultipleChoiceField(
                choices=[(choice.pk, choice.label) for choice in question.choices.all()],
                coerce=int,
                widget=forms.CheckboxSelectMultiple,
                **common,
            )
        widget = (
            forms.Textarea(attrs={"rows": 4}) if question.kind == QuestionKind.LONG_TEXT else None
        )
        return forms.CharField(max_length=TEXT_LIMITS[question.kind], widget=widget, **common)

    def clean(self):
        cleaned = super().clean()
        known = set(self.fields)
        sent = {key for key in self.data if key.startswith("q_")}
        if sent - known:
            raise forms.ValidationError(
                _(
                    "This form does not match the survey any more. "
                    "Please answer the questions shown."
                )
            )
        return cleaned

    def answers(self):
        return {
            question.pk: self.cleaned_data.get(self.field_name(question))
            for question in self.questions
        }


class ComplaintForm(forms.Form):
    """What a member or a visitor tells us when something went wrong."""

    name = forms.CharField(label=_("Your name"), max_length=150)
    email = forms.EmailField(label=_("E-mail"))
    phone = forms.CharField(label=_("Phone (optional)"), max_length=32, required=False)
    category = forms.ChoiceField(label=_("What is it about?"), choices=Category.choices)
    description = forms.CharField(
        label=_("What happened?"),
        max_length=4000,
        min_length=10,
        widget=forms.Textarea(attrs={"rows": 5}),
    )
    remedy_sought = forms.ChoiceField(
        label=_("What would you like us to do?"), choices=Remedy.choices, widget=forms.RadioSelect
    )
    receipt_number = forms.CharField(
        label=_("Receipt number (optional)"), max_length=64, required=False
    )
    photo = forms.ImageField(label=_("Photo (optional)"), required=False)
    # Left empty by people; bots fill every field. Hidden from sight and from screen readers.
    website = forms.CharField(required=False, label=_("Leave this empty"))

    def clean_photo(self):
        photo = self.cleaned_data.get("photo")
        return checked_image(photo) if photo else None

    def clean_website(self):
        if self.cleaned_data.get("website"):
            raise forms.ValidationError(_("Leave this field empty."))
        return ""


class MemberComplaintForm(ComplaintForm):
    """The portal form: name and e-mail come from the member's account."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        del self.fields["name"]
        del self.fields["email"]


class ReplyForm(forms.Form):
    body = forms.CharField(
        label=_("Your reply"), max_length=4000, widget=forms.Textarea(attrs={"rows": 4})
    )


class RatingForm(forms.Form):
    rating = forms.TypedChoiceField(
        label=_("How well did we handle your case?"),
        choices=[(n, str(n)) for n in range(1, 6)],
        coerce=int,
        widget=ScaleWidget,
        error_messages={
            "required": _("Choose a rating from 1 to 5."),
            "invalid_choice": _("Choose a rating from 1 to 5."),
        },
    )
    comment = forms.CharField(
        label=_("Anything to add? (optional)"),
        max_length=2000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class TestimonialForm(forms.Form):
    rating = forms.TypedChoiceField(
        label=_("Your rating of us"),
        choices=[(n, str(n)) for n in range(1, 6)],
        coerce=int,
        widget=ScaleWidget,
    )
    text = forms.CharField(
        label=_("Your words"), max_length=500, widget=forms.Textarea(attrs={"rows": 4})
    )
