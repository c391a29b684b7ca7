"""The surveys app's configuration (app label `surveys`)."""

from django.apps import AppConfig


class SurveysConfig(AppConfig):
    name = "surveys"
    verbose_name = "Surveys and complaints"
