"""The 400, 403 and 404 pages: in the site's look, rendered without the database; a staff member
on an owner's admin page is refused in the admin's look with a way back to the counter."""

import pytest
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.test import RequestFactory
from django.urls import reverse

from suki import errors
from tests.surveys.factories import SurveyFactory


@pytest.mark.parametrize(
    ("handler", "status", "heading"),
    [
        (errors.bad_request, 400, "Bad request"),
        (errors.permission_denied, 403, "You cannot open this page"),
        (errors.page_not_found, 404, "Page not found"),
    ],
)
def test_error_pages_render_in_the_sites_look_without_the_database(handler, status, heading):
    # No database fixture: any query here fails the test.
    exception = {400: None, 403: PermissionDenied(), 404: Http404()}[status]
    response = handler(RequestFactory().get("/somewhere/"), exception)

    page = response.content.decode()
    assert response.status_code == status
    assert f'<h1 class="h3">{heading}</h1>' in page
    assert "Kapihan Café" in page
    assert "/static/css/suki.css" in page
    assert 'href="/"' in page
    assert "style=" not in page
    assert "<script" not in page


def test_an_unknown_address_shows_the_not_found_page_to_a_member(member_client):
    response = member_client.get("/no-such-page/")

    page = response.content.decode()
    assert response.status_code == 404
    assert "There is nothing here. It may have moved, or the address may be mistyped." in page
    assert f'href="{reverse("home")}"' in page
    # The error layout, not the portal's: no user menu, so no session is needed to draw it.
    assert reverse("account_logout") not in page


@pytest.fixture
def survey(db):
    return SurveyFactory()


@pytest.mark.parametrize(
    "url",
    [
        lambda survey: reverse("admin:loyalty_program_changelist"),
        lambda survey: reverse("admin:surveys_survey_results", args=[survey.pk]),
        lambda survey: reverse("admin:surveys_complaint_figures"),
    ],
    ids=["program", "survey results", "complaint figures"],
)
def test_staff_on_an_owner_page_is_refused_in_the_admin_with_a_way_back_to_the_counter(
    staff_client, survey, url
):
    response = staff_client.get(url(survey))

    page = response.content.decode()
    assert response.status_code == 403
    assert "<h1>You cannot open this page</h1>" in page
    assert "This page is for the owner" in page
    assert f'href="{reverse("admin:counter")}">Back to the counter</a>' in page
    assert 'id="site-name"' in page  # the admin's header, not the site's


def test_the_owner_opens_the_same_pages(owner_client, survey):
    for url in [
        reverse("admin:loyalty_program_changelist"),
        reverse("admin:surveys_survey_results", args=[survey.pk]),
        reverse("admin:surveys_complaint_figures"),
    ]:
        assert owner_client.get(url, follow=True).status_code == 200
