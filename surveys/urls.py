from django.urls import path

from surveys import complaint_views, views

urlpatterns = [
    path("surveys/", views.survey_list, name="surveys"),
    path("surveys/<int:survey_id>/", views.answer, name="survey_answer"),
    path("surveys/<int:survey_id>/thanks/", views.thanks, name="survey_thanks"),
    path("surveys/visit/<int:invitation_id>/", views.invitation_answer, name="invitation_answer"),
    path("surveys/visit/<int:invitation_id>/not-now/", views.dismiss, name="invitation_dismiss"),
    path("s/<str:token>/", views.public_answer, name="public_survey"),
    path("v/<str:token>/", views.visit_answer, name="visit_survey"),
    path("complaints/", complaint_views.complaint_list, name="complaints"),
    path("complaints/new/", complaint_views.complaint_new, name="complaint_new"),
    path("complaints/<str:reference>/", complaint_views.complaint_detail, name="complaint"),
    path(
        "complaints/<str:reference>/reply/", complaint_views.complaint_reply, name="complaint_reply"
    ),
    path("complaints/<str:reference>/rate/", complaint_views.complaint_rate, name="complaint_rate"),
    path(
        "complaints/<str:reference>/reopen/",
        complaint_views.complaint_reopen,
        name="complaint_reopen",
    ),
    path("rate/<str:token>/", complaint_views.rate_by_link, name="rate_complaint"),
    path("contact/", complaint_views.contact, name="contact"),
    path("testimonial/", complaint_views.testimonial_new, name="testimonial"),
]
