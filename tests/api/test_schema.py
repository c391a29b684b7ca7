"""The whole schema fuzzed with schemathesis through the WSGI app: no server error, and every
answer (status, content type, body) is one the schema documents."""

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from suki.wsgi import application

schema = schemathesis.openapi.from_wsgi("/api/schema/?format=json", application)


@pytest.fixture
def connection_kept():
    """Calls through the WSGI app end like requests, closing the database connection; the
    test's transaction needs it open (Django's test client does the same)."""
    from django.core.signals import request_finished, request_started
    from django.db import close_old_connections

    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def all_scopes_key(connection_kept, branch, funded_card, voucher):
    from .conftest import make_key

    return make_key(branch)[1]


@pytest.mark.django_db
@schema.parametrize()
@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
def test_every_operation_answers_as_documented(case, all_scopes_key):
    case.call_and_validate(
        headers={"Authorization": f"Api-Key {all_scopes_key}"},
        # Not "schema-valid data is accepted": a 12-character text is schema-valid but no
        # card number, and is refused with the counter's words (422), as documented.
        checks=[
            not_a_server_error,
            status_code_conformance,
            content_type_conformance,
            response_schema_conformance,
            response_headers_conformance,
        ],
    )
