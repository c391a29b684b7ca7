"""The counter in a browser: a walk-in gets a printed card, earns points, and claims it online."""

import re

from django.conf import settings
from playwright.sync_api import expect

from loyalty import services
from loyalty.models import Card, Kind, PointTransaction, Program
from tests.e2e.conftest import accessibility_violations
from tests.factories import PASSWORD


def log_in_at_the_counter(page, user):
    page.goto("/admin/login/")
    # The admin labels the field "E-mail address", the member log-in "Email".
    page.get_by_label(re.compile(r"^E-?mail", re.IGNORECASE)).fill(user.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.get_by_role("link", name="Counter", exact=True).first.click()
    expect(page.get_by_role("search")).to_be_visible()


def look_up(page, text):
    # A USB scanner types the number and presses Enter.
    page.get_by_label(re.compile(r"Card number, name, e-mail or phone")).fill(text)
    page.keyboard.press("Enter")


def record_purchase(page, amount, receipt):
    page.get_by_label(f"Amount ({settings.CURRENCY})").fill(amount)
    page.get_by_label("Receipt number").fill(receipt)
    page.get_by_role("button", name="Record purchase").click()


def test_staff_enrols_a_walk_in_and_the_member_claims_the_card_online(
    desktop_page, page, staff, member, tiers
):
    program = Program.current()
    counter = desktop_page
    log_in_at_the_counter(counter, staff)

    counter.get_by_role("link", name="Enrol a walk-in").click()
    counter.get_by_label("Name (optional)").fill("Wanda Walker")
    counter.get_by_role("button", name="Issue card").click()

    heading = counter.get_by_role("heading", name=re.compile(r"Print card \d{4} \d{4} \d{4}"))
    expect(heading).to_be_visible()
    formatted_number = re.search(r"\d{4} \d{4} \d{4}", heading.inner_text()).group(0)
    expect(
        counter.get_by_text(
            f"New card {formatted_number} issued with {program.signup_bonus} welcome points."
        )
    ).to_be_visible()
    expect(
        counter.get_by_label("Card front").get_by_text(formatted_number, exact=True)
    ).to_be_visible()
    pin = counter.get_by_test_id("claim-pin")
    expect(pin).to_be_visible()
    expect(pin).to_have_text(re.compile(r"^\d{6}$"))
    claim_pin = pin.inner_text()

    counter.get_by_role("link", name="Back to the card").click()
    expect(counter.get_by_role("heading", name="Wanda Walker")).to_be_visible()
    expect(counter.get_by_test_id("counter-balance")).to_have_text(str(program.signup_bonus))

    record_purchase(counter, "12.50", "A-100")
    line = PointTransaction.objects.get(kind=Kind.PURCHASE, reference="A-100")
    balance = program.signup_bonus + line.points + program.first_purchase_bonus
    expect(
        counter.get_by_text(f"Recorded €12.50: +{line.points} points. New balance {balance}.")
    ).to_be_visible()
    expect(counter.get_by_test_id("counter-balance")).to_have_text(str(balance))

    # The till's receipt scanned a second time: recorded once, and the page says so.
    record_purchase(counter, "12.50", "A-100")
    expect(
        counter.get_by_text(
            f"Receipt A-100 was already recorded on this card ({line.points} points). "
            "Nothing was added."
        )
    ).to_be_visible()
    expect(counter.get_by_test_id("counter-balance")).to_have_text(str(balance))
    assert PointTransaction.objects.filter(kind=Kind.PURCHASE, reference="A-100").count() == 1

    page.goto("/accounts/login/")
    page.get_by_label("Email").fill(member.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign In").click()
    expect(page.get_by_role("heading", name="Hello, Maria")).to_be_visible()

    page.goto("/portal/claim/")
    page.get_by_label("Card number").fill(formatted_number)
    page.get_by_label("PIN").fill(claim_pin)
    page.get_by_role("button", name="Claim card").click()

    expect(
        page.get_by_text(f"Card {formatted_number} is now yours, with {balance} points.")
    ).to_be_visible()
    expect(page.get_by_test_id("balance")).to_have_text(f"{balance} points")
    expect(page.get_by_text("Purchase · ")).to_be_visible()
    assert Card.objects.get(number=formatted_number.replace(" ", "")).user == member
    assert accessibility_violations(page) == []


def test_counter_refuses_a_mistyped_card_number_and_a_retired_one(desktop_page, staff, card):
    page = desktop_page
    old_number = card.number
    # Luhn catches every single-digit slip.
    slip = old_number[:5] + str((int(old_number[5]) + 1) % 10) + old_number[6:]
    log_in_at_the_counter(page, staff)

    look_up(page, slip)
    expect(page.get_by_role("alert")).to_have_text(
        "That card number is not valid; a digit may be mistyped. Please check it."
    )

    look_up(page, card.formatted_number)
    expect(page.get_by_role("heading", name="Maria Reyes")).to_be_visible()
    page.get_by_label("Reason for a new card").fill("Lost on the bus")
    page.get_by_role("button", name="Replace with a new card").click()

    card.refresh_from_db()
    assert card.number != old_number
    expect(
        page.get_by_text(
            f"Card {old_number[:4]} {old_number[4:8]} {old_number[8:]} is retired. "
            f"The new card {card.formatted_number} keeps the balance and history."
        )
    ).to_be_visible()

    page.get_by_role("link", name="Counter", exact=True).first.click()
    look_up(page, old_number)
    alert = page.get_by_role("alert")
    expect(alert).to_contain_text("was replaced")
    expect(alert).to_contain_text(f"The member's card is now {card.formatted_number}.")


def test_staff_reverses_a_purchase_with_a_reason(desktop_page, staff, card):
    page = desktop_page
    line = services.record_purchase(card, "20.00", reference="R-7", staff=staff).line
    card.refresh_from_db()
    before = card.balance
    after = before - line.points
    log_in_at_the_counter(page, staff)
    look_up(page, card.formatted_number)
    expect(page.get_by_test_id("counter-balance")).to_have_text(str(before))

    page.get_by_text("Reverse R-7", exact=True).click()
    page.get_by_label("Reason for reversing R-7").fill("Returned the teapot")
    page.get_by_role("button", name="Reverse receipt R-7").click()

    expect(
        page.get_by_text(f"Receipt R-7 reversed: −{line.points} points. New balance {after}.")
    ).to_be_visible()
    expect(page.get_by_test_id("counter-balance")).to_have_text(str(after))
    expect(page.get_by_text("Returned the teapot")).to_be_visible()
    expect(
        page.get_by_role("button", name="Reverse receipt R-7", include_hidden=True)
    ).to_have_count(0)
