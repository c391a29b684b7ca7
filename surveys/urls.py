"""Member and public addresses of surveys, complaints and testimonials."""

from django.urls import path

from surveys.views import complaints, testimonials
from surveys.views import surveys as survey_views

urlpatterns = [
    path("surveys/", survey_views.survey_list, name="surveys"),
    path("surveys/<int:survey_id>/", survey_views.answer, name="survey_answer"),
    path("surveys/<int:survey_id>/thanks/", survey_views.thanks, name="survey_thanks"),
    path(
        "surveys/visit/<int:invitation_id>/",
        survey_views.invitation_answer,
        name="invitation_answer",
    ),
    path(
        "surveys/visit/<int:invitation_id>/not-now/",
        survey_views.dismiss,
        name="invitation_dismiss",
    ),
    path("s/<str:token>/", survey_views.public_answer, name="public_survey"),
    path("v/<str:token>/", survey_views.visit_answer, name="visit_survey"),
    path("complaints/", complaints.complaint_list, name="complaints"),
    path("complaints/new/", complaints.complaint_new, name="complaint_new"),
    path("complaints/<str:reference>/", complaints.complaint_detail, name="complaint"),
    path("complaints/<str:reference>/reply/", complaints.complaint_reply, name="complaint_reply"),
    path("complaints/<str:reference>/rate/", complaints.complaint_rate, name="complaint_rate"),
    path(
        "complaints/<str:reference>/reopen/", complaints.complaint_reopen, name="complaint_reopen"
    ),
    path("rate/<str:token>/", complaints.rate_by_link, name="rate_complaint"),
    path("contact/", complaints.contact, name="contact"),
    path("testimonial/", testimonials.testimonial_new, name="testimonial"),
]
