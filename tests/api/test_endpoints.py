"""What a till sees from each endpoint: the happy path, and bad input refused with the words
staff see at the counter, never a server error."""

import pytest

from loyalty import services
from loyalty.models import Card, CardStatus, Kind, PointTransaction, Store

PROBLEM = "application/problem+json"


def problem(response, status):
    assert response.status_code == status, response.content
    assert response["Content-Type"] == PROBLEM
    return response.json()


def purchase(till, card, amount="12.50", receipt="R-1", **extra):
    return till.post(
        f"/api/v1/cards/{card.number}/purchases", {"amount": amount, "receipt": receipt, **extra}
    )


# Lookup ------------------------------------------------------------------------------------


@pytest.mark.parametrize("how", ["number", "formatted", "dashes"])
def test_lookup_by_card_number_as_typed(how, till, card):
    typed = {
        "number": card.number,
        "formatted": card.formatted_number,
        "dashes": card.formatted_number.replace(" ", "-"),
    }[how]
    response = till.get("/api/v1/members/lookup", {"card": typed})

    assert response.status_code == 200
    (found,) = response.json()["cards"]
    assert found["number"] == card.number
    assert found["holder"] == "Maria Reyes"
    assert found["balance"] == 50
    assert found["tier"] == "Bronze"


def test_lookup_by_qr_accepts_exactly_what_the_card_qr_holds(till, card):
    assert till.get("/api/v1/members/lookup", {"qr": card.number}).status_code == 200
    body = problem(till.get("/api/v1/members/lookup", {"qr": card.formatted_number}), 404)
    assert body["detail"] == "That QR code is not a card."


def test_lookup_by_phone_compares_digits(till, card, member):
    member.phone = "+358 40 123-4567"
    member.save()

    response = till.get("/api/v1/members/lookup", {"phone": "358401234567"})

    assert [found["number"] for found in response.json()["cards"]] == [card.number]


def test_lookup_by_an_unknown_phone_says_so(till, card):
    body = problem(till.get("/api/v1/members/lookup", {"phone": "0401234567"}), 404)
    assert body["detail"] == "No card matches “0401234567”."


@pytest.mark.parametrize("params", [{}, {"card": "1", "phone": "2"}])
def test_lookup_needs_exactly_one_way(params, till):
    body = problem(till.get("/api/v1/members/lookup", params), 422)
    assert body["errors"] == {"query": ["Give one of card, qr or phone."]}


def test_lookup_of_a_mistyped_number_uses_the_counter_words(till, card):
    wrong = card.number[:-1] + str((int(card.number[-1]) + 1) % 10)
    body = problem(till.get("/api/v1/members/lookup", {"card": wrong}), 422)
    assert body["detail"] == (
        "That card number is not valid; a digit may be mistyped. Please check it."
    )
    assert body["type"] == "/api/problems/invalid-card-number"


def test_arabic_indic_digits_are_refused_as_at_the_counter(till, card):
    eastern = card.number.translate(str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩"))
    problem(till.get("/api/v1/members/lookup", {"card": eastern}), 422)
    problem(till.get(f"/api/v1/cards/{eastern}/"), 422)


def test_a_nul_byte_in_the_query_is_a_problem_not_a_page(till):
    body = problem(till.get("/api/v1/members/lookup", {"phone": "04\x0012"}), 400)
    assert body["status"] == 400


def test_an_unknown_address_under_the_api_is_a_problem(till):
    problem(till.get("/api/v1/nothing-here"), 404)


# Card --------------------------------------------------------------------------------------


def test_card_read_shows_balance_tier_and_the_ten_recent_lines(till, card, staff, program):
    for receipt in range(12):
        services.record_purchase(card, "1.00", reference=f"R-{receipt}", staff=staff)

    body = till.get(f"/api/v1/cards/{card.number}/").json()

    assert body["balance"] == 50 + 12 + 25
    assert body["tier"] == "Bronze"
    assert body["status"] == "active"
    assert len(body["lines"]) == 10
    newest = body["lines"][0]
    assert newest["kind"] == "purchase"
    assert newest["receipt"] == "R-11"
    assert newest["branch"] == "Main branch"
    assert newest["why"] == "receipt R-11"
    assert newest["balance_after"] == 87


def test_a_replaced_card_says_where_the_member_went(till, card, staff):
    new = services.replace_card(card, staff=staff, reason="lost")
    body = problem(till.get(f"/api/v1/cards/{card.number}/"), 409)
    assert new.formatted_number in body["detail"]


def test_an_unknown_card_is_not_found(till):
    body = problem(till.get("/api/v1/cards/123456789015/"), 404)
    assert body["detail"] == "No card has that number."


# Purchases ---------------------------------------------------------------------------------


def test_a_purchase_is_recorded_in_the_key_branch_and_names_the_key(till, till_key, card, branch):
    response = purchase(till, card, items=[{"name": "Latte", "quantity": 2}])

    assert response.status_code == 201
    body = response.json()
    assert body["created"] is True
    assert body["line"]["points"] == 12
    assert body["line"]["amount"] == "12.50"
    assert body["balance"] == 50 + 12 + 25  # with the first-purchase bonus
    assert body["items"] == [{"name": "Latte", "quantity": 2}]
    line = PointTransaction.objects.get(pk=body["line"]["id"])
    assert (line.store, line.till_key, line.created_by) == (branch, till_key[0], None)


def test_the_same_receipt_twice_is_recorded_once(till, card):
    first = purchase(till, card).json()
    again = purchase(till, card)

    assert again.status_code == 200
    assert again.json()["created"] is False
    assert again.json()["line"]["id"] == first["line"]["id"]
    assert again.json()["balance"] == first["balance"]
    assert PointTransaction.objects.filter(kind=Kind.PURCHASE).count() == 1


def test_a_receipt_used_on_another_card_is_refused_naming_it(till, card, outsider_card):
    purchase(till, outsider_card)
    body = problem(purchase(till, card), 409)
    assert body["detail"] == (
        f"Receipt R-1 already earned points on card {outsider_card.formatted_number} "
        "(Otto Outsider). Nothing was added."
    )


def test_a_blocked_card_earns_nothing(till, card, staff):
    services.block_card(card, staff=staff, reason="stolen")
    body = problem(purchase(till, card), 409)
    assert body["detail"] == "This card is blocked and cannot be used."


@pytest.mark.parametrize(
    ("amount", "detail"),
    [
        ("0", "Enter an amount greater than zero."),
        ("-5", "Enter an amount greater than zero."),
        ("abc", "Enter the amount as a number, like 12.50."),
        ("NaN", "Enter an amount greater than zero."),
        ("1e9", "The amount must be below 10000.00."),
        ("99999999999999999999", "The amount must be below 10000.00."),
        ("1.005", "Enter the amount with at most two decimals."),
    ],
)
def test_a_bad_amount_is_refused_with_the_counter_words(amount, detail, till, card, program):
    program.purchase_ceiling = "10000.00"
    program.save()
    body = problem(purchase(till, card, amount=amount), 422)
    assert body["detail"] == detail
    assert not PointTransaction.objects.filter(kind=Kind.PURCHASE).exists()


def test_an_amount_with_a_comma_or_eastern_digits_reads_as_at_the_counter(till, card):
    assert purchase(till, card, amount="12,50").json()["line"]["amount"] == "12.50"
    assert purchase(till, card, amount="١٢.٥٠", receipt="R-2").json()["line"]["amount"] == "12.50"


@pytest.mark.parametrize(
    "body",
    [
        {"amount": "1.00"},
        {"amount": "1.00", "receipt": ""},
        {"amount": "1.00", "receipt": "R\x001"},
        {"amount": "1.00", "receipt": "R" * 65},
        {"amount": ["1"], "receipt": "R-1"},
        {"amount": "1.00", "receipt": "R-1", "items": [{"quantity": 2}]},
        {"amount": "1.00", "receipt": "R-1", "items": "coffee"},
    ],
)
def test_bad_fields_are_listed_per_field(body, till, card):
    answer = problem(till.post(f"/api/v1/cards/{card.number}/purchases", body), 422)
    assert answer["type"] == "/api/problems/invalid-fields"
    assert answer["errors"]


def test_a_body_that_is_not_json_is_a_bad_request(till, card):
    problem(till.post(f"/api/v1/cards/{card.number}/purchases", raw="{amount"), 400)


def test_a_body_that_is_not_an_object_is_refused(till, card):
    problem(till.post(f"/api/v1/cards/{card.number}/purchases", raw="[1, 2]"), 422)


def test_a_form_body_is_an_unsupported_media_type(till, card):
    response = till.post(
        f"/api/v1/cards/{card.number}/purchases",
        raw="amount=1&receipt=2",
        content_type="application/x-www-form-urlencoded",
    )
    problem(response, 415)


# Reversal ----------------------------------------------------------------------------------


def test_a_purchase_is_reversed_once(till, purchase_line):
    response = till.post(f"/api/v1/purchases/{purchase_line.pk}/reversal", {"reason": "refund"})

    assert response.status_code == 201
    assert response.json()["line"]["points"] == -purchase_line.points
    assert response.json()["balance"] == 50 + 25
    again = till.post(f"/api/v1/purchases/{purchase_line.pk}/reversal", {"reason": "refund"})
    assert problem(again, 409)["detail"] == "This purchase has already been reversed."


@pytest.mark.parametrize("line_id", ["abc", "0", "99999999", "9" * 30, "١"])
def test_reversing_what_is_no_purchase_of_the_branch_is_not_found(line_id, till, purchase_line):
    problem(till.post(f"/api/v1/purchases/{line_id}/reversal", {"reason": "x"}), 404)


def test_a_reversal_needs_a_reason(till, purchase_line):
    body = problem(till.post(f"/api/v1/purchases/{purchase_line.pk}/reversal", {}), 422)
    assert "reason" in body["errors"]


def test_only_purchases_are_reversed(till, card, branch):
    bonus = card.transactions.get(kind=Kind.SIGNUP_BONUS)
    problem(till.post(f"/api/v1/purchases/{bonus.pk}/reversal", {"reason": "x"}), 404)


# Pay with points ---------------------------------------------------------------------------


def test_a_quote_offers_the_counter_steps_within_the_bill(till, funded_card, program):
    program.pay_with_points_step = 100
    program.point_value = "0.05"
    program.save()

    body = till.post(
        f"/api/v1/cards/{funded_card.number}/payments/quote", {"amount": "12.00", "points": 300}
    ).json()

    assert body["balance"] == 500
    assert body["steps"] == [
        {"points": 100, "value": "5.00"},
        {"points": 200, "value": "10.00"},
    ]
    assert body["requested"] == {"points": 300, "value": "15.00", "allowed": True}


def test_paying_with_points_takes_them_once_per_receipt(till, funded_card, program):
    path = f"/api/v1/cards/{funded_card.number}/payments"

    first = till.post(path, {"points": 100, "receipt": "P-1"})
    again = till.post(path, {"points": 100, "receipt": "P-1"})

    assert first.status_code == 201
    assert first.json()["balance"] == 400
    assert first.json()["points"] == 100
    assert again.status_code == 200
    assert again.json()["created"] is False
    assert PointTransaction.objects.filter(kind=Kind.REDEMPTION, reference="P-1").count() == 1


@pytest.mark.parametrize("points", [0, -100, 150, 10**12])
def test_points_outside_the_steps_are_refused(points, till, funded_card, program):
    response = till.post(
        f"/api/v1/cards/{funded_card.number}/payments", {"points": points, "receipt": "P-1"}
    )
    assert response.status_code == 422


def test_more_points_than_the_balance_are_refused(till, funded_card):
    body = problem(
        till.post(
            f"/api/v1/cards/{funded_card.number}/payments", {"points": 600, "receipt": "P-1"}
        ),
        409,
    )
    assert body["detail"] == "There are not enough points on this card."


# Vouchers ----------------------------------------------------------------------------------


def test_a_voucher_is_checked_then_used_once(till, voucher):
    checked = till.get(f"/api/v1/vouchers/{voucher.formatted_code}").json()
    assert checked["usable"] is True
    assert checked["reward"] == "Cinnamon bun"

    used = till.post(f"/api/v1/vouchers/{voucher.code}/fulfilment")
    assert used.status_code == 200
    assert used.json()["message"] == (
        f"Voucher {voucher.formatted_code} used: hand over Cinnamon bun."
    )

    again = problem(till.post(f"/api/v1/vouchers/{voucher.code}/fulfilment"), 409)
    assert again["detail"].startswith("This voucher was already used on ")
    assert again["detail"].endswith(f"(by a till at {Store.main().name}).")
    rechecked = till.get(f"/api/v1/vouchers/{voucher.code}").json()
    assert rechecked["usable"] is False
    assert rechecked["refusal"] == again["detail"]


def test_a_code_that_cannot_be_a_voucher_uses_the_counter_words(till):
    body = problem(till.get("/api/v1/vouchers/not-a-code"), 422)
    assert body["detail"].startswith("That is not a voucher code")


def test_an_unknown_voucher_is_not_found(till, db):
    problem(till.get("/api/v1/vouchers/ABCDEFGHJK"), 404)


# Enrolment ---------------------------------------------------------------------------------


def test_enrolment_issues_a_printed_card_to_claim_online(till, till_key, program):
    response = till.post("/api/v1/members", {"name": "Walk In", "email": "Walk@Example.com"})

    assert response.status_code == 201
    body = response.json()
    card = Card.objects.get(number=body["number"])
    assert card.is_physical and card.user is None and card.status == CardStatus.ACTIVE
    assert (card.holder_name, card.holder_email) == ("Walk In", "walk@example.com")
    assert body["claim_pin"] == card.claim_pin and len(card.claim_pin) == 6
    assert body["balance"] == 50
    assert card.transactions.get().till_key == till_key[0]


@pytest.mark.parametrize("body", [{}, {"name": ""}, {"name": "A", "email": "not-an-email"}])
def test_enrolment_refuses_bad_fields(body, till, program):
    problem(till.post("/api/v1/members", body), 422)
    assert not Card.objects.exists()


# Schema and docs ---------------------------------------------------------------------------


def test_the_schema_and_docs_are_served_without_a_key(client, db):
    schema = client.get("/api/schema/", headers={"Accept": "application/json"})
    assert schema.status_code == 200
    assert "/api/v1/cards/{number}/purchases" in schema.json()["paths"]

    docs = client.get("/api/docs/")
    assert docs.status_code == 200
    html = docs.content.decode()
    assert "/static/drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js" in html
    assert "<style>" not in html and "<script>" not in html  # nothing inline under the CSP
    # No inline script either: the policy's script-src is 'self' alone (the order of the
    # directives is the library's).
    directives = dict(
        part.strip().split(" ", 1) for part in docs["Content-Security-Policy"].split(";")
    )
    assert directives["script-src"] == "'self'"
    script = client.get("/api/docs/?script=")
    assert script["Content-Type"] == "application/javascript"


def test_a_purchase_through_the_api_stamps_the_card_and_reports_the_free_coffee(
    till, card, program
):
    from loyalty.models import StampCard, StampRule
    from tests.rewards.factories import RewardFactory

    StampCard.objects.create(
        name="Coffee card",
        stamps_needed=9,
        rule=StampRule.ITEMS,
        reward=RewardFactory(name="Free coffee", points_cost=1),
    )
    first = purchase(till, card, "9.00", "T-1", item_count="2")
    assert first.status_code == 201
    assert first.json()["stamps"] == [
        {
            "stamp_card": "Coffee card",
            "added": 2,
            "stamps": 2,
            "needed": 9,
            "completed": 0,
            "vouchers": [],
        }
    ]
    full = purchase(till, card, "31.50", "T-2", item_count=7)
    (stamped,) = full.json()["stamps"]
    assert stamped["completed"] == 1 and len(stamped["vouchers"]) == 1
    detail = till.get(f"/api/v1/cards/{card.number}/").json()
    assert detail["stamp_cards"] == [
        {"stamp_card": "Coffee card", "stamps": 0, "needed": 9, "completed": 1}
    ]
    refused = problem(purchase(till, card, "4.50", "T-3", item_count="0"), 422)
    assert "number of items" in refused["detail"]
