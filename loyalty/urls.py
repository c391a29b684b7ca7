from django.contrib import admin
from django.urls import include, path

from loyalty import views

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", views.healthz, name="healthz"),
    path("portal/", views.portal, name="portal"),
    path("portal/history/", views.history, name="history"),
    path("portal/claim/", views.claim, name="claim_card"),
    path("portal/digital-card/", views.digital_card, name="digital_card"),
    path("accounts/", include("allauth.urls")),
    path("accounts/", include("accounts.urls")),
    path("admin/", admin.site.urls),
]
