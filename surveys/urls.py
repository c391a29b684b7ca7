from django.urls import path

from surveys import views

urlpatterns = [
    path("surveys/", views.survey_list, name="surveys"),
    path("surveys/<int:survey_id>/", views.answer, name="survey_answer"),
    path("surveys/<int:survey_id>/thanks/", views.thanks, name="survey_thanks"),
    path("surveys/visit/<int:invitation_id>/", views.invitation_answer, name="invitation_answer"),
    path("surveys/visit/<int:invitation_id>/not-now/", views.dismiss, name="invitation_dismiss"),
    path("s/<str:token>/", views.public_answer, name="public_survey"),
    path("v/<str:token>/", views.visit_answer, name="visit_survey"),
]
