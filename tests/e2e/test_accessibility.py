"""Every member page and every staff and owner page of the admin, as axe-core sees them on a
phone (360 px) and a desktop (1280 px): no violations of WCAG 2.2 AA (axe runs only its rules
tagged wcag2a, wcag2aa, wcag21a, wcag21aa and wcag22aa, not its best practices: see
`accessibility_violations`). On a phone no member page scrolls sideways in any of the four
languages, the member menu takes one row, survey answers are large targets used by the
keyboard, and every control shows where the keyboard is.

One shop's worth of data is made once for the module and one browser page per role is reused
(logged in once), so the module costs a page load and an axe run per path and width. The
module runs its own live server instead of pytest-django's: that one flushes the database
after every test."""

import datetime
import threading
from decimal import Decimal

import pytest
from django.contrib.staticfiles.handlers import StaticFilesHandler
from django.core.management import call_command
from django.db import connections
from django.test.testcases import LiveServerThread
from django.utils import timezone
from playwright.sync_api import expect

from tests.e2e.conftest import accessibility_violations
from tests.factories import PASSWORD

MEMBER_PAGES = [
    "/",
    "/portal/",
    "/portal/history/",
    "/rewards/",
    "/rewards/{reward}/",
    "/rewards/vouchers/",
    "/rewards/vouchers/{voucher}/",
    "/portal/invite/",
    "/surveys/",
    "/surveys/{survey}/",
    "/complaints/",
    "/complaints/new/",
    "/complaints/{complaint}/",
    "/accounts/profile/",
    "/portal/my-data/",
    "/portal/delete-account/",
    "/help/",
]
PUBLIC_PAGES = ["/", "/accounts/login/", "/accounts/signup/", "/help/", "/contact/"]
ADMIN_PAGES = [
    "/admin/",
    "/admin/counter/",
    "/admin/counter/?query=Reyes",
    "/admin/counter/card/{card}/",
    "/admin/counter/vouchers/",
    "/admin/counter/enrol/",
    "/admin/loyalty/card/",
    "/admin/loyalty/card/{card}/change/",
    "/admin/loyalty/pointtransaction/",
    "/admin/rewards/reward/",
    "/admin/rewards/reward/{reward}/change/",
    "/admin/rewards/reward/add/",
    "/admin/rewards/redemption/",
    "/admin/loyalty/tier/",
    "/admin/loyalty/tier/{tier}/change/",
    "/admin/loyalty/bonusday/",
    "/admin/loyalty/bonusday/add/",
    "/admin/surveys/survey/",
    "/admin/surveys/survey/{survey}/change/",
    "/admin/surveys/survey/{survey}/results/",
    "/admin/surveys/complaint/",
    "/admin/surveys/complaint/{complaint_id}/change/",
    "/admin/surveys/slatarget/",
    "/admin/exports/",
    "/admin/loyalty/card/import/",
    "/admin/webhooks/endpoint/",
]
STAFF_PAGES = [
    "/admin/",
    "/admin/counter/",
    "/admin/counter/card/{card}/",
    "/admin/surveys/complaint/",
    "/admin/surveys/complaint/{complaint_id}/change/",
]
LANGUAGES = ["en", "fil", "fi", "id"]

# Each test runs in a transaction rolled back after it (a language set for one test is gone in
# the next); the module's shop is made before, outside, and emptied after the module.
pytestmark = pytest.mark.django_db


def make_shop():
    """A member with a card, points, a voucher, a friend, an answered and an open survey and
    a complaint; an owner and a member of staff; everything the admin lists."""
    from django.contrib.auth.models import Group

    from accounts.roles import OWNER, STAFF
    from loyalty import services
    from loyalty.models import BonusDay, Store
    from rewards.models import Reward, RewardKind
    from rewards.services import redeem
    from surveys.models import Answer, Choice, Question, QuestionKind, Response, Survey
    from surveys.services.complaints import file_complaint
    from tests.factories import UserFactory, make_card, make_tiers
    from webhooks.models import Endpoint

    owner = UserFactory(email="owner@example.com", first_name="Olivia", is_staff=True)
    owner.groups.add(Group.objects.get(name=OWNER))
    staff = UserFactory(email="staff@example.com", first_name="Sami", is_staff=True)
    staff.groups.add(Group.objects.get(name=STAFF))
    member = UserFactory(email="member@example.com", first_name="Maria", last_name="Reyes")
    tiers = make_tiers()
    store = Store.objects.create(name="Main Street")
    card = make_card(member)
    for number in range(1, 4):
        services.record_purchase(
            card, Decimal("412.50"), reference=f"R-{number}", staff=staff, store=store
        )
    today = timezone.localdate()
    BonusDay.objects.create(
        name="Double Saturday", starts_on=today, ends_on=today + datetime.timedelta(days=7)
    )
    reward = Reward.objects.create(
        name="Free coffee", kind=RewardKind.FREE_ITEM, points_cost=150, stock=10
    )
    Reward.objects.create(name="Cake of the day", kind=RewardKind.FREE_ITEM, points_cost=400)
    voucher = redeem(card, reward)
    survey = Survey.objects.create(title="Help us choose our new cake", completion_bonus=20)
    for order, (kind, text) in enumerate(
        [
            (QuestionKind.NPS, "How likely are you to recommend us to a friend?"),
            (QuestionKind.CSAT, "How satisfied were you with this visit?"),
            (QuestionKind.SINGLE, "Which cake should we bake?"),
            (QuestionKind.LONG_TEXT, "Anything we should know?"),
        ]
    ):
        question = Question.objects.create(
            survey=survey, order=order, kind=kind, text=text, required=order < 2
        )
        if kind == QuestionKind.SINGLE:
            for label in ["Ube cheesecake", "Mango float", "Karelian pie"]:
                Choice.objects.create(question=question, label=label)
    # Six answers a week ago, enough for that week's NPS on the owner's dashboard (which
    # counts whole days up to yesterday).
    recommend = survey.questions.get(kind=QuestionKind.NPS)
    answered = timezone.now() - datetime.timedelta(days=7)
    for score in [10, 9, 9, 8, 6, 10]:
        response = Response.objects.create(survey=survey, created_at=answered)
        Answer.objects.create(response=response, question=recommend, number=score)
    complaint = file_complaint(
        name=member.get_full_name(),
        email=member.email,
        category="service",
        description="The coffee was cold and nobody came to the till for ten minutes.",
        remedy_sought="apology",
        channel="portal",
        user=member,
    )
    Endpoint.objects.create(url="https://example.com/hooks/suki", description="Till system")
    friend = UserFactory(email="friend@example.com", first_name="Bea")
    services.record_referral(friend, services.referral_code_for(member).code)
    return {
        "member": member,
        "card": card.pk,
        "reward": reward.pk,
        "voucher": voucher.code,
        "survey": survey.pk,
        "complaint": complaint.reference,
        "complaint_id": complaint.pk,
        "tier": tiers[1].pk,
    }


@pytest.fixture(scope="module")
def shop(django_db_setup, django_db_blocker):
    """The module's data and a live server of its own over it; the database is emptied after
    the module, as a transactional test would leave it."""
    with django_db_blocker.unblock():
        # The test database, never the development one (the module empties it at the end).
        database = connections["default"]
        assert database.is_in_memory_db() or "test" in str(database.settings_dict["NAME"])
        overrides = {}
        server = None
        try:
            shop = make_shop()
            if database.vendor == "sqlite" and database.is_in_memory_db():
                database.inc_thread_sharing()
                overrides[database.alias] = database
            server = LiveServerThread("localhost", StaticFilesHandler, overrides or None, port=0)
            server.daemon = True
            server.start()
            server.is_ready.wait()
            if server.error:
                raise server.error
            shop["url"] = f"http://localhost:{server.port}"
            yield shop
        finally:
            if server is not None:
                server.terminate()
            # The browser's closed connections end their request threads, which close the
            # shared connection once more: only then is it this thread's alone again.
            for thread in threading.enumerate():
                if thread.name.endswith("(process_request_thread)"):
                    thread.join(timeout=5)
            for connection in overrides.values():
                connection.dec_thread_sharing()
            call_command("flush", interactive=False, verbosity=0)


def logged_in_page(browser, shop, email, *, admin):
    context = browser.new_context(base_url=shop["url"], viewport={"width": 360, "height": 740})
    context.set_default_timeout(10_000)
    page = context.new_page()
    if admin:
        page.goto("/admin/login/")
        page.locator("input[name=username]").fill(email)
    else:
        page.goto("/accounts/login/")
        page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.locator("form [type=submit]").last.click()
    page.wait_for_load_state()
    return context, page


@pytest.fixture(scope="module")
def member_page(browser, shop):
    context, page = logged_in_page(browser, shop, "member@example.com", admin=False)
    yield page
    context.close()


@pytest.fixture(scope="module")
def owner_page(browser, shop):
    context, page = logged_in_page(browser, shop, "owner@example.com", admin=True)
    yield page
    context.close()


@pytest.fixture(scope="module")
def staff_page(browser, shop):
    context, page = logged_in_page(browser, shop, "staff@example.com", admin=True)
    yield page
    context.close()


@pytest.fixture(scope="module")
def visitor_page(browser, shop):
    context = browser.new_context(base_url=shop["url"], viewport={"width": 360, "height": 740})
    context.set_default_timeout(10_000)
    yield context.new_page()
    context.close()


def visit(page, path, shop, width):
    page.set_viewport_size({"width": width, "height": 740 if width < 800 else 900})
    response = page.goto(path.format(**shop))
    assert response.status == 200, f"{path} answered {response.status}"
    page.wait_for_load_state("networkidle")


def page_width(page):
    return page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")


def wider_than_a_phone(page, paths, shop, language) -> dict[str, int]:
    """The pages among `paths`, each seen in `language` at 360 px, that are wider than the
    screen: {path: width}."""
    too_wide = {}
    for path in paths:
        visit(page, path, shop, 360)
        assert page.locator("html").get_attribute("lang") == language
        scroll_width, screen_width = page_width(page)
        if scroll_width > screen_width:
            too_wide[path] = scroll_width
    return too_wide


def set_language(shop, django_db_blocker, language):
    from accounts.models import User

    with django_db_blocker.unblock():
        User.objects.filter(pk=shop["member"].pk).update(language=language)


@pytest.mark.parametrize("width", [360, 1280])
@pytest.mark.parametrize("path", MEMBER_PAGES)
def test_member_page_has_no_accessibility_violations(member_page, shop, path, width):
    visit(member_page, path, shop, width)
    assert accessibility_violations(member_page) == []


@pytest.mark.parametrize("width", [360, 1280])
@pytest.mark.parametrize("path", PUBLIC_PAGES)
def test_public_page_has_no_accessibility_violations(visitor_page, shop, path, width):
    visit(visitor_page, path, shop, width)
    assert accessibility_violations(visitor_page) == []


@pytest.mark.parametrize("width", [360, 1024, 1280, 1440])
@pytest.mark.parametrize("path", ADMIN_PAGES)
def test_owner_admin_page_has_no_violations_and_fits_the_screen(owner_page, shop, path, width):
    visit(owner_page, path, shop, width)
    if width in (1024, 1440):  # a tablet and a desktop: the page never scrolls sideways
        scroll_width, screen_width = page_width(owner_page)
        assert scroll_width <= screen_width, f"{path} is {scroll_width} px wide at {screen_width}"
    # axe on a phone and a desktop, and on a tablet where a list lays its filters out anew.
    if width in (360, 1280) or (width == 1024 and "change" not in path):
        assert accessibility_violations(owner_page) == []


@pytest.mark.parametrize("width", [360, 1024, 1280])
@pytest.mark.parametrize("path", STAFF_PAGES)
def test_staff_admin_page_has_no_accessibility_violations(staff_page, shop, path, width):
    visit(staff_page, path, shop, width)
    assert accessibility_violations(staff_page) == []


@pytest.mark.parametrize("language", LANGUAGES)
def test_no_member_page_scrolls_sideways_on_a_phone(member_page, shop, django_db_blocker, language):
    set_language(shop, django_db_blocker, language)
    try:
        assert wider_than_a_phone(member_page, MEMBER_PAGES, shop, language) == {}
    finally:
        set_language(shop, django_db_blocker, "en")


@pytest.mark.parametrize("language", LANGUAGES)
def test_no_public_page_scrolls_sideways_on_a_phone(visitor_page, shop, language):
    from django.conf import settings

    visitor_page.context.add_cookies(
        [{"name": settings.LANGUAGE_COOKIE_NAME, "value": language, "url": shop["url"]}]
    )
    try:
        assert wider_than_a_phone(visitor_page, PUBLIC_PAGES, shop, language) == {}
    finally:
        visitor_page.context.clear_cookies()


@pytest.mark.parametrize("language", LANGUAGES)
def test_member_menu_takes_one_row_on_a_phone(member_page, shop, django_db_blocker, language):
    set_language(shop, django_db_blocker, language)
    try:
        visit(member_page, "/portal/", shop, 360)
        places = member_page.locator("header nav .member-tabs").get_by_role("link")
        expect(places).to_have_count(5)
        tops = set()
        for link in places.all():
            expect(link).to_be_visible()
            box = link.bounding_box()
            tops.add(round(box["y"]))
            assert box["height"] >= 44 and box["width"] >= 44
        assert len(tops) == 1, "the member's places wrap to more than one row"
        header = member_page.locator("header").bounding_box()
        assert header["height"] <= 64
    finally:
        set_language(shop, django_db_blocker, "en")


def focus_ring(page):
    return page.evaluate(
        """() => {
            const style = getComputedStyle(document.activeElement);
            return [style.outlineStyle, parseFloat(style.outlineWidth), style.outlineColor];
        }"""
    )


def test_brown_buttons_links_and_fields_show_a_focus_ring(member_page, shop):
    visit(member_page, "/rewards/{reward}/", shop, 360)
    button = member_page.locator(".btn-suki").first
    expect(button).to_be_visible()
    # Tab from the element before it, as a keyboard user arrives.
    button.evaluate("element => element.blur()")
    for _ in range(60):
        member_page.keyboard.press("Tab")
        if member_page.evaluate("document.activeElement.classList.contains('btn-suki')"):
            break
    style, width, colour = focus_ring(member_page)
    assert style == "solid" and width >= 2 and colour == "rgb(26, 95, 180)"
    member_page.get_by_role("link", name="Rewards").focus()
    member_page.keyboard.press("Shift+Tab")
    member_page.keyboard.press("Tab")
    assert focus_ring(member_page)[0] == "solid"
    visit(member_page, "/complaints/new/", shop, 360)
    member_page.locator("main select, main input:not([type=hidden])").first.focus()
    member_page.keyboard.press("Tab")
    member_page.keyboard.press("Shift+Tab")
    assert focus_ring(member_page)[0] == "solid"


def test_admin_buttons_show_a_focus_ring(owner_page, shop):
    visit(owner_page, "/admin/rewards/reward/{reward}/change/", shop, 1280)
    owner_page.locator("input[name=_save]").focus()
    owner_page.keyboard.press("Shift+Tab")
    owner_page.keyboard.press("Tab")
    style, width, _ = focus_ring(owner_page)
    assert style == "solid" and width >= 2


def test_survey_scale_is_a_keyboard_radio_group_of_large_targets(member_page, shop):
    visit(member_page, "/surveys/{survey}/", shop, 360)
    group = member_page.get_by_role("group", name="How likely are you to recommend us")
    options = group.get_by_role("radio")
    expect(options).to_have_count(11)
    boxes = [label.bounding_box() for label in group.locator("label.scale-option").all()]
    assert all(box["width"] >= 44 and box["height"] >= 44 for box in boxes)
    same_row = [(a, b) for a, b in zip(boxes, boxes[1:], strict=False) if a["y"] == b["y"]]
    assert same_row and all(b["x"] - (a["x"] + a["width"]) >= 8 for a, b in same_row)

    group.get_by_text("7", exact=True).click()
    expect(group.get_by_label("7", exact=True)).to_be_checked()
    group.get_by_label("7", exact=True).focus()
    member_page.keyboard.press("ArrowRight")
    expect(group.get_by_label("8", exact=True)).to_be_checked()
    expect(group.get_by_label("8", exact=True)).to_be_focused()
    outline = member_page.evaluate(
        "getComputedStyle(document.activeElement.nextElementSibling).outlineStyle"
    )
    assert outline == "solid", "the focused answer's button shows no focus ring"

    choice = member_page.locator("label", has_text="Mango float")
    assert choice.bounding_box()["height"] >= 44
    choice.click()
    expect(member_page.get_by_label("Mango float")).to_be_checked()


def test_invite_page_badges_wrap_in_filipino(member_page, shop, django_db_blocker):
    set_language(shop, django_db_blocker, "fil")
    try:
        visit(member_page, "/portal/invite/", shop, 360)
        badge = member_page.locator("main .badge").first
        expect(badge).to_be_visible()
        box = badge.bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= 360
        scroll_width, screen_width = page_width(member_page)
        assert scroll_width <= screen_width
    finally:
        set_language(shop, django_db_blocker, "en")


def test_nps_chart_has_axes_values_answer_counts_and_a_text_alternative(owner_page, shop):
    visit(owner_page, "/admin/", shop, 1280)
    chart = owner_page.get_by_role("img", name="NPS per week")
    expect(chart).to_be_visible()
    description = chart.locator("desc").text_content()
    assert "Week of" in description and "n = " in description
    assert chart.locator("text.axis-title").count() == 2
    assert chart.locator("line.axis").count() == 2
    assert chart.locator("text.count").count() >= 1
    assert chart.locator("text.value").count() == chart.locator("text.count").count()
