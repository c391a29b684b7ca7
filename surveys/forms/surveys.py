"""The survey form a member or visitor answers: one field per question, scales as buttons."""

from django import forms
from django.utils.translation import gettext_lazy as _

from surveys.models import SCALES, TEXT_LIMITS, QuestionKind

REQUIRED_MESSAGE = _("Please answer this question.")


class ScaleWidget(forms.RadioSelect):
    """A row of numbered buttons (radio inputs underneath, so keyboards and screen readers
    work as for any radio group)."""

    template_name = "surveys/widgets/scale.html"
    option_template_name = "surveys/widgets/scale_option.html"


def rating_field(label, **kwargs) -> forms.TypedChoiceField:
    """A rating from 1 to 5, as a row of buttons."""
    return forms.TypedChoiceField(
        label=label,
        choices=[(n, str(n)) for n in range(1, 6)],
        coerce=int,
        widget=ScaleWidget,
        **kwargs,
    )


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
        one_of = self._one_of(question)
        if one_of is not None:
            choices, widget = one_of
            return forms.TypedChoiceField(
                choices=choices, coerce=int, widget=widget, empty_value=None, **common
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

    @staticmethod
    def _one_of(question):
        """The choices and widget of a question answered with one number, or None."""
        if question.kind in SCALES:
            low, high = SCALES[question.kind]
            return [(number, str(number)) for number in range(low, high + 1)], ScaleWidget
        if question.kind == QuestionKind.YES_NO:
            return [(1, _("Yes")), (0, _("No"))], forms.RadioSelect
        if question.kind == QuestionKind.SINGLE:
            choices = [(choice.pk, choice.label) for choice in question.choices.all()]
            return choices, forms.RadioSelect
        return None

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
