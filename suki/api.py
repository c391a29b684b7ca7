"""The till API's addresses under /api/: version 1 of the endpoints, the OpenAPI schema and
its interactive documentation (Swagger UI, served from our own static files)."""

from csp.constants import UNSAFE_INLINE
from csp.decorators import csp_update
from django.urls import path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from loyalty import api as loyalty_api
from rewards import api as rewards_api

version_1 = [
    path("members/lookup", loyalty_api.lookup, name="lookup"),
    path("members", loyalty_api.enrol, name="enrol"),
    path("cards/<str:number>/", loyalty_api.card_detail, name="card"),
    path("cards/<str:number>/purchases", loyalty_api.purchase, name="purchase"),
    path("cards/<str:number>/payments/quote", rewards_api.quote, name="payment_quote"),
    path("cards/<str:number>/payments", rewards_api.payment, name="payment"),
    path("purchases/<str:id>/reversal", loyalty_api.reversal, name="reversal"),
    path("vouchers/<str:code>", rewards_api.voucher, name="voucher"),
    path("vouchers/<str:code>/fulfilment", rewards_api.fulfilment, name="fulfilment"),
]

# Swagger UI sets a few styles inline; the rest of the site's policy holds on this page too.
docs = csp_update({"style-src": [UNSAFE_INLINE]})(
    SpectacularSwaggerSplitView.as_view(url_name="api_schema", template_name="api/swagger_ui.html")
)

urlpatterns = [
    path("schema/", SpectacularAPIView.as_view(), name="api_schema"),
    path("docs/", docs, name="api_docs"),
]
