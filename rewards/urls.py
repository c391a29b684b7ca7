from django.urls import path

from rewards import views

urlpatterns = [
    path("", views.catalog, name="rewards"),
    path("<int:reward_id>/", views.confirm, name="redeem"),
    path("vouchers/", views.vouchers, name="vouchers"),
    path("vouchers/<str:code>/", views.voucher, name="voucher"),
    path("vouchers/<str:code>/cancel/", views.cancel, name="cancel_voucher"),
]
