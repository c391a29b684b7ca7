"""The owner's survey admin: surveys with their questions, results with filters and the CSV
export, the preview and the QR poster, and the read-only list of responses."""

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Count, Exists, OuterRef, Q
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path, reverse
from django.utils import translation
from django.utils.html import format_html
from django.utils.text import capfirst, format_lazy
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from modeltranslation.admin import TranslationStackedInline
from modeltranslation.utils import build_localized_fieldname

from core.admin import (
    CheckedDateHierarchyMixin,
    EstimatedCountPaginator,
    ReadOnlyAdminMixin,
    admin_context,
    query_without,
)
from core.codes import qr_svg
from core.exports import csv_download
from core.translation_admin import LanguageLabels, OwnerTextsAdmin
from core.translations import DEFAULT_LANGUAGE, OTHER_LANGUAGES, untranslated
from loyalty.models import Tier
from surveys import results, selectors, services
from surveys.forms import SurveyForm
from surveys.models import CHOICE_KINDS, Audience, Choice, Question, Response, Survey

LANGUAGE_NAMES = dict(settings.LANGUAGES)


def choices_field(language: str) -> str:
    return f"choices_text_{language}"


def _lines(text: str) -> list[str]:
    return [line.strip() for line in (text or "").splitlines() if line.strip()]


def _choices_in(language: str) -> forms.CharField:
    return forms.CharField(
        label=format_lazy("{} ({})", capfirst(gettext_lazy("choices")), LANGUAGE_NAMES[language]),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3, "cols": 30}),
        help_text=gettext_lazy("The same choices, one per line, in the same order."),
    )


class BaseQuestionForm(forms.ModelForm):
    """A question with its choices typed one per line, in English and in each other language
    (the same choices in the same order; a language left blank shows the English)."""

    choices_text = forms.CharField(
        label=gettext_lazy("choices"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3, "cols": 30}),
        help_text=gettext_lazy("Single and multiple choice: one choice per line."),
    )

    class Meta:
        model = Question
        fields = ["order", "kind", "text", "help_text", "required"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            choices = list(self.instance.choices.all())
            self.initial["choices_text"] = "\n".join(c.label_en or "" for c in choices)
            for language in OTHER_LANGUAGES:
                local = build_localized_fieldname("label", language)
                if any(getattr(c, local) for c in choices):
                    self.initial[choices_field(language)] = "\n".join(
                        getattr(c, local) or "" for c in choices
                    )

    def clean(self):
        cleaned = super().clean()
        labels = _lines(cleaned.get("choices_text", ""))
        if cleaned.get("kind") in CHOICE_KINDS and len(labels) < 2:
            self.add_error("choices_text", _("Give at least two choices, one per line."))
        cleaned["choice_labels"] = labels
        translated = {}
        for language in OTHER_LANGUAGES:
            local = _lines(cleaned.get(choices_field(language), ""))
            if local and len(local) != len(labels):
                self.add_error(
                    choices_field(language),
                    _("Give as many choices as in English (%(count)s), in the same order.")
                    % {"count": len(labels)},
                )
            translated[language] = local
        cleaned["choice_translations"] = translated
        return cleaned


# The form with one "choices" field per other language, declared so the admin may list them.
QuestionForm = type(
    "QuestionForm",
    (BaseQuestionForm,),
    {choices_field(language): _choices_in(language) for language in OTHER_LANGUAGES},
)


class QuestionInline(LanguageLabels, TranslationStackedInline):
    model = Question
    form = QuestionForm
    extra = 1
    fields = [
        "order",
        "kind",
        "text",
        "help_text",
        "required",
        "choices_text",
        *(choices_field(language) for language in OTHER_LANGUAGES),
    ]


class FilterForm(forms.Form):
    """The results page's filters, read once into `results.Filters` for the page and its
    CSV export alike."""

    start = forms.DateField(
        label=gettext_lazy("From"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    end = forms.DateField(
        label=gettext_lazy("To"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    tier = forms.ModelChoiceField(
        label=gettext_lazy("Tier"), queryset=Tier.objects.all(), required=False
    )
    q = forms.CharField(label=gettext_lazy("Search text answers"), required=False, max_length=100)

    def filters(self) -> results.Filters:
        if not self.is_valid():
            return results.Filters()
        data = self.cleaned_data
        return results.Filters(
            start=data["start"],
            end=data["end"],
            tier_id=data["tier"].pk if data["tier"] else None,
            search=data["q"],
        )


@admin.register(Survey)
class SurveyAdmin(OwnerTextsAdmin):
    list_display = [
        "title",
        "audience",
        "is_post_visit",
        "is_active",
        "starts_at",
        "ends_at",
        "response_count",
        "links",
    ]
    list_filter = ["is_active", "audience", "is_post_visit"]
    search_fields = ["title"]
    inlines = [QuestionInline]
    actions = ["copy_surveys"]
    readonly_fields = ["public_link"]
    fields = [
        "title",
        "intro",
        "starts_at",
        "ends_at",
        "is_active",
        "audience",
        "allow_anonymous",
        "completion_bonus",
        "is_post_visit",
        "public_link",
    ]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(responses_total=Count("responses"))

    def untranslated(self, language):
        """A survey is incomplete in a language while its title, intro, a question or a
        choice is."""
        questions = Question.objects.filter(untranslated(Question, language), survey=OuterRef("pk"))
        choices = Choice.objects.filter(
            untranslated(Choice, language), question__survey=OuterRef("pk")
        )
        return super().untranslated(language) | Q(Exists(questions)) | Q(Exists(choices))

    @admin.display(description=gettext_lazy("responses"), ordering="responses_total")
    def response_count(self, obj):
        return obj.responses_total

    @admin.display(description=gettext_lazy("open"))
    def links(self, obj):
        links = format_html(
            '<a href="{}">{}</a> · <a href="{}">{}</a>',
            reverse("admin:surveys_survey_results", args=[obj.pk]),
            _("Results"),
            reverse("admin:surveys_survey_preview", args=[obj.pk]),
            _("Preview"),
        )
        if obj.audience != Audience.PUBLIC:
            return links  # a poster's QR would open a page only members see: a 404 for anyone
        return format_html(
            '{} · <a href="{}">{}</a>',
            links,
            reverse("admin:surveys_survey_poster", args=[obj.pk]),
            _("QR poster"),
        )

    @admin.display(description=gettext_lazy("public link"))
    def public_link(self, obj):
        if not obj.pk or obj.audience != Audience.PUBLIC:
            return _("Only for surveys open to anyone.")
        return reverse("public_survey", args=[obj.public_token])

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        for formset in formsets:
            for question_form in formset.forms:
                question = question_form.instance
                if question.pk is None or question_form in formset.deleted_forms:
                    continue
                labels = question_form.cleaned_data.get("choice_labels", [])
                if question.kind in CHOICE_KINDS:
                    translations = question_form.cleaned_data.get("choice_translations", {})
                    _sync_choices(question, labels, translations)

    @admin.action(description=gettext_lazy("Copy the selected surveys"))
    def copy_surveys(self, request, queryset):
        for survey in queryset:
            copy = services.copy_survey(survey)
            messages.success(
                request, _("Copied as “%(title)s” (inactive).") % {"title": copy.title}
            )

    def get_urls(self):
        view = self.admin_site.admin_view
        return [
            path(
                "<int:survey_id>/results/", view(self.results_view), name="surveys_survey_results"
            ),
            path(
                "<int:survey_id>/preview/", view(self.preview_view), name="surveys_survey_preview"
            ),
            path("<int:survey_id>/poster/", view(self.poster_view), name="surveys_survey_poster"),
        ] + super().get_urls()

    def _survey_for_results(self, request, survey_id) -> Survey:
        if not request.user.has_perm("surveys.view_survey_results"):
            raise PermissionDenied
        return get_object_or_404(Survey, pk=survey_id)

    def results_view(self, request, survey_id):
        survey = self._survey_for_results(request, survey_id)
        filter_form = FilterForm(request.GET or None)
        filters = filter_form.filters()
        responses = results.filtered_responses(survey, filters)
        questions = selectors.questions(survey)
        if request.GET.get("export") == "csv":
            return responses_csv(survey, responses, questions)
        question_results = results.question_results(survey, responses, questions)
        weeks = results.weekly_trend(responses, questions)
        text_page = Paginator(
            results.text_answers(responses, questions, search=filters.search), 25
        ).get_page(request.GET.get("page"))
        context = admin_context(
            request,
            opts=self.model._meta,
            title=_("Results: %(title)s") % {"title": survey.title},
            survey=survey,
            filter_form=filter_form,
            total=responses.count(),
            rate=results.response_rate(survey, responses, filters),
            headline=results.headline(question_results),
            question_results=question_results,
            weeks=weeks,
            trend=results.trend_points(weeks),
            text_page=text_page,
            min_responses=results.MIN_RESPONSES,
            chart_width=results.CHART_WIDTH,
            query=query_without(request.GET, "page").urlencode(),
        )
        return render(request, "admin/surveys/results.html", context)

    def preview_view(self, request, survey_id):
        survey = self._survey_for_results(request, survey_id)
        form = SurveyForm(selectors.questions(survey))
        return render(
            request, "surveys/answer.html", {"survey": survey, "form": form, "preview": True}
        )

    def poster_view(self, request, survey_id):
        survey = self._survey_for_results(request, survey_id)
        if survey.audience != Audience.PUBLIC:
            messages.warning(
                request,
                _(
                    "Only a survey open to anyone has a QR poster: members-only surveys are "
                    "answered from the member's portal or a receipt's survey slip."
                ),
            )
            return redirect("admin:surveys_survey_change", survey.pk)
        url = request.build_absolute_uri(reverse("public_survey", args=[survey.public_token]))
        context = admin_context(
            request,
            title=_("QR poster: %(title)s") % {"title": survey.title},
            survey=survey,
            url=url,
            qr=qr_svg(url, title=_("QR code for %(title)s") % {"title": survey.title}),
        )
        return render(request, "admin/surveys/poster.html", context)


def _choice_values(label: str, order: int, translations: dict) -> dict:
    values = {"label_en": label, "order": order}
    for language, lines in translations.items():
        values[build_localized_fieldname("label", language)] = lines[order] if lines else None
    return values


def _sync_choices(question, labels, translations=None):
    """The question's choices as typed: English labels one per line, and in each other language
    the same choices in the same order (blank: that language shows the English)."""
    wanted = [
        _choice_values(label, order, translations or {}) for order, label in enumerate(labels)
    ]
    existing = list(question.choices.all())
    keys = wanted[0].keys() if wanted else ()
    current = [
        {key: getattr(c, key) if key == "order" else getattr(c, key) or None for key in keys}
        for c in existing
    ]
    if current == wanted:
        return
    # Choices someone already picked stay (their answers keep meaning); others follow the text.
    question.choices.exclude(label_en__in=labels).filter(answers__isnull=True).delete()
    by_label = {choice.label_en: choice for choice in question.choices.all()}
    with translation.override(DEFAULT_LANGUAGE):  # the original column keeps the English
        for values in wanted:
            choice = by_label.get(values["label_en"]) or Choice(question=question)
            for key, value in values.items():
                setattr(choice, key, value)
            choice.save()


def responses_csv(survey, responses, questions):
    def value(answer):
        if answer is None:
            return ""
        if answer.number is not None:
            return answer.number
        labels = [choice.label for choice in answer.choices.all()]
        return "; ".join(labels) if labels else answer.text

    answered = responses.select_related("user", "tier").prefetch_related("answers__choices")
    rows = (
        [
            response.pk,
            response.created_at.isoformat(),
            response.user.email if response.user else "",
            response.tier.name if response.tier else "",
            *[value(by_question.get(q.pk)) for q in questions],
        ]
        for response in answered.order_by("created_at", "id").iterator(chunk_size=500)
        for by_question in [{answer.question_id: answer for answer in response.answers.all()}]
    )
    header = ["response", "answered_at", "member", "tier", *[q.text for q in questions]]
    return csv_download(f"survey-{survey.pk}-responses.csv", header, rows)


@admin.register(Response)
class ResponseAdmin(CheckedDateHierarchyMixin, ReadOnlyAdminMixin, admin.ModelAdmin):
    """Responses are written only by `submit_response`; the owner reads them here."""

    paginator = EstimatedCountPaginator  # no COUNT(*) of the whole table per page

    list_display = ["survey", "created_at", "user", "tier", "purchase"]
    list_filter = ["survey", "tier", "created_at"]
    list_select_related = ["survey", "user", "tier", "purchase"]
    search_fields = ["user__email"]
    date_hierarchy = "created_at"
    bounded_date_hierarchy = True  # no DISTINCT over every row for the date bar
    show_full_result_count = False
