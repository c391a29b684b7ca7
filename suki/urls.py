from django.conf import settings
from django.conf.urls.static import static
from django.contrib import admin
from django.urls import include, path

from loyalty import views
from suki import api, health, pages, privacy_views

urlpatterns = [
    path("", pages.home, name="home"),
    path("healthz", health.healthz, name="healthz"),
    path("help/", pages.help_page, name="help"),
    path("portal/", pages.portal, name="portal"),
    path("portal/history/", views.history, name="history"),
    path("portal/claim/", views.claim, name="claim_card"),
    path("portal/digital-card/", views.digital_card, name="digital_card"),
    path("portal/invite/", views.invite, name="invite"),
    path("portal/my-data/", privacy_views.my_data, name="my_data"),
    path("portal/delete-account/", privacy_views.delete_account, name="delete_account"),
    path("account-deleted/", privacy_views.account_deleted, name="account_deleted"),
    path("join/<str:code>/", views.join, name="join"),
    path("rewards/", include("rewards.urls")),
    path("", include("surveys.urls")),
    path("accounts/", include("allauth.urls")),
    path("accounts/", include("accounts.urls")),
    path("admin/", admin.site.urls),
    path("api/v1/", include((api.version_1, "api"))),
    path("api/", include(api.urlpatterns)),
]

if settings.DEBUG:
    # Uploaded reward images in development; production serves MEDIA_ROOT from the proxy.
    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)

handler400 = "suki.errors.bad_request"
handler403 = "suki.errors.permission_denied"
handler404 = "suki.errors.page_not_found"
handler500 = "suki.errors.server_error"
