"""Branches: where each sale happened, a receipt number per branch, the counter's branch."""

import datetime
from decimal import Decimal

import pytest
import time_machine
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.urls import reverse

from loyalty import branches, services
from loyalty.exceptions import BranchClosed, ReceiptUsedOnAnotherCard
from loyalty.models import Kind, PointTransaction, Store
from rewards import services as reward_services
from suki import dashboard
from tests.factories import UserFactory, make_card
from tests.rewards.factories import RewardFactory, top_up


@pytest.fixture
def street(db):
    return Store.objects.create(name="Main Street", address="12 Main Street")


@pytest.fixture
def kiosk(db):
    return Store.objects.create(name="Harbour kiosk")


@pytest.fixture
def other_card(tiers):
    return make_card(UserFactory(first_name="Ben"))


def test_a_new_shop_has_its_main_branch(db):
    assert list(Store.objects.values_list("name", flat=True)) == ["Main branch"]
    assert Store.main().name == "Main branch"


def test_every_sale_records_its_branch(card, staff, street, kiosk):
    line = services.record_purchase(
        card, Decimal("10.00"), reference="1", staff=staff, store=street
    ).line
    reversal = services.reverse_purchase(line, staff=staff, reason="wrong card", store=kiosk)
    card = top_up(card, 200)
    payment = reward_services.pay_with_points(card, 100, staff=staff, reference="2", store=kiosk)
    voucher = reward_services.redeem(card, RewardFactory(points_cost=50))
    reward_services.fulfil_redemption(voucher, staff=staff, store=street)
    assert line.store == street
    assert reversal.store == kiosk
    assert payment.line.store == kiosk
    voucher.refresh_from_db()
    assert voucher.fulfilled_store == street


def test_a_reversal_named_nowhere_belongs_where_its_purchase_was(card, staff, kiosk):
    line = services.record_purchase(
        card, Decimal("10.00"), reference="1", staff=staff, store=kiosk
    ).line
    assert services.reverse_purchase(line, staff=staff, reason="typo").store == kiosk


def test_a_receipt_number_is_unique_within_its_branch(card, other_card, staff, street, kiosk):
    first = services.record_purchase(card, "10.00", reference="1042", staff=staff, store=street)
    # Another branch's till prints the same number: a different sale.
    there = services.record_purchase(other_card, "7.00", reference="1042", staff=staff, store=kiosk)
    assert first.created and there.created
    again = services.record_purchase(card, "10.00", reference="1042", staff=staff, store=street)
    assert again.created is False and again.line == first.line
    with pytest.raises(ReceiptUsedOnAnotherCard):
        services.record_purchase(other_card, "10.00", reference="1042", staff=staff, store=street)
    assert PointTransaction.objects.filter(kind=Kind.PURCHASE, reference="1042").count() == 2


def test_a_closed_branch_records_nothing(card, staff, street):
    street.is_open = False
    street.save()
    with pytest.raises(BranchClosed, match="Main Street is closed"):
        services.record_purchase(card, "10.00", reference="1", staff=staff, store=street)
    with pytest.raises(BranchClosed):
        reward_services.pay_with_points(
            top_up(card, 100), 100, staff=staff, reference="1", store=street
        )
    assert not PointTransaction.objects.filter(kind__in=[Kind.PURCHASE, Kind.REDEMPTION]).exists()


# The counter ----------------------------------------------------------------------------


def purchase_at_counter(client, card, reference="R1", amount="12.00"):
    return client.post(
        reverse("admin:counter_purchase", args=[card.pk]),
        {"amount": amount, "reference": reference},
    )


def test_with_one_branch_the_counter_needs_no_choice(staff_client, card):
    response = purchase_at_counter(staff_client, card)
    assert response.status_code == 302
    assert PointTransaction.objects.get(kind=Kind.PURCHASE).store == Store.main()


def test_with_two_branches_staff_choose_once_and_the_device_remembers(staff_client, card, street):
    response = purchase_at_counter(staff_client, card)
    assert response.url.startswith(reverse("admin:counter_branch"))
    assert not PointTransaction.objects.filter(kind=Kind.PURCHASE).exists()

    page = staff_client.get(response.url).content.decode()
    assert "Main branch" in page and "Main Street" in page
    back = reverse("admin:counter_card", args=[card.pk])
    chosen = staff_client.post(reverse("admin:counter_branch"), {"branch": street.pk, "next": back})
    assert chosen.url == back
    assert branches.COOKIE in chosen.cookies

    purchase_at_counter(staff_client, card, reference="R1")
    purchase_at_counter(staff_client, card, reference="R2")
    assert set(
        PointTransaction.objects.filter(kind=Kind.PURCHASE).values_list("store", flat=True)
    ) == {street.pk}
    card_page = staff_client.get(back).content.decode()
    assert "Branch: <strong>Main Street</strong>" in card_page


def test_the_branch_choice_refuses_a_foreign_next_url(staff_client, street):
    response = staff_client.post(
        reverse("admin:counter_branch"), {"branch": street.pk, "next": "https://evil.example/"}
    )
    assert response.url == reverse("admin:counter")


def test_staff_limited_to_a_branch_work_only_there(staff_client, staff, card, street, kiosk):
    kiosk.staff.add(staff)
    page = staff_client.get(reverse("admin:counter_branch")).content.decode()
    assert "Harbour kiosk" in page and "Main Street" not in page
    refused = staff_client.post(reverse("admin:counter_branch"), {"branch": street.pk})
    assert refused.status_code == 200
    assert "Choose one of the branches you work at." in refused.content.decode()
    assert branches.COOKIE not in refused.cookies
    # Limited to one branch, they need not choose: it is theirs.
    purchase_at_counter(staff_client, card)
    assert PointTransaction.objects.get(kind=Kind.PURCHASE).store == kiosk


def test_a_remembered_branch_no_longer_allowed_is_not_used(
    staff_client, staff, card, street, kiosk
):
    staff_client.post(reverse("admin:counter_branch"), {"branch": street.pk})
    street.is_open = False
    street.save()
    kiosk.staff.add(staff)
    purchase_at_counter(staff_client, card)
    assert PointTransaction.objects.get(kind=Kind.PURCHASE).store == kiosk


def test_vouchers_and_payments_at_the_counter_record_the_branch(staff_client, card, street):
    staff_client.post(reverse("admin:counter_branch"), {"branch": street.pk})
    card = top_up(card, 300)
    staff_client.post(
        reverse("admin:counter_pay", args=[card.pk]), {"points": 100, "reference": "P1"}
    )
    voucher = reward_services.redeem(card, RewardFactory(points_cost=50))
    staff_client.post(reverse("admin:counter_fulfil", args=[voucher.pk]))
    voucher.refresh_from_db()
    assert voucher.fulfilled_store == street
    assert PointTransaction.objects.get(reference="P1").store == street


# The owner's lists and dashboard ------------------------------------------------------------


def test_owner_filters_the_ledger_and_the_redemptions_by_branch(
    owner_client, card, other_card, staff, street, kiosk
):
    services.record_purchase(card, "10.00", reference="S-1", staff=staff, store=street)
    services.record_purchase(other_card, "9.00", reference="K-1", staff=staff, store=kiosk)
    ledger = owner_client.get(
        reverse("admin:loyalty_pointtransaction_changelist"), {"store__id__exact": kiosk.pk}
    ).content.decode()
    assert "K-1" in ledger and "S-1" not in ledger
    card = top_up(card, 200)
    used_here = reward_services.redeem(card, RewardFactory(name="Free cake", points_cost=50))
    used_there = reward_services.redeem(card, RewardFactory(name="Free tea", points_cost=50))
    reward_services.fulfil_redemption(used_here, staff=staff, store=street)
    reward_services.fulfil_redemption(used_there, staff=staff, store=kiosk)
    redemptions = owner_client.get(
        reverse("admin:rewards_redemption_changelist"), {"fulfilled_store__id__exact": street.pk}
    ).content.decode()
    assert used_here.formatted_code in redemptions
    assert used_there.formatted_code not in redemptions


def test_the_dashboard_shows_one_branch_sales(card, other_card, staff, street, kiosk):
    yesterday = datetime.datetime(2026, 12, 1, 10, tzinfo=datetime.UTC)
    with time_machine.travel(yesterday, tick=False):
        services.record_purchase(card, "10.00", reference="1", staff=staff, store=street)
        services.record_purchase(card, "20.00", reference="2", staff=staff, store=street)
        services.record_purchase(other_card, "5.00", reference="1", staff=staff, store=kiosk)
    moment = datetime.datetime(2026, 12, 2, 12, tzinfo=datetime.UTC)

    def visits(**query):
        board = dashboard.build(query, moment=moment)
        return {figure.label: figure for figure in board.sections["members"]}

    shop = visits()
    at_street = visits(branch=str(street.pk))
    at_kiosk = visits(branch=str(kiosk.pk))
    assert shop["Visits"].value == 3
    assert at_street["Visits"].value == 2
    assert at_kiosk["Visits"].value == 1
    assert at_street["Average spend per visit"].value == Decimal("15.00")
    assert f"store__id__exact={street.pk}" in at_street["Visits"].link
    # Members belong to the whole shop.
    assert at_kiosk["Members"].value == shop["Members"].value
    # A branch that does not exist is refused, with the whole shop shown.
    assert visits(branch="999999")["Visits"].value == 3


def test_owner_sees_the_branch_selector_on_the_dashboard(owner_client, street):
    page = owner_client.get(reverse("admin:index"), {"branch": street.pk}).content.decode()
    assert '<select name="branch"' in page
    assert "Sales, points, staff and vouchers used are those of Main Street" in page


# The data migration ------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_free_text_places_become_branches():
    executor = MigrationExecutor(connection)
    before = [("loyalty", "0006_goodwill_cap_receipt_index")]
    executor.migrate(before)
    old = executor.loader.project_state(before).apps
    Card = old.get_model("loyalty", "Card")
    Line = old.get_model("loyalty", "PointTransaction")
    card = Card.objects.create(number="000000000018")
    street = Line.objects.create(
        card=card,
        kind="purchase",
        points=10,
        balance_after=10,
        amount=10,
        reference="1",
        store="Main Street",
    )
    nowhere = Line.objects.create(
        card=card, kind="purchase", points=5, balance_after=15, amount=5, reference="2"
    )
    Line.objects.create(
        card=card,
        kind="purchase_reversal",
        points=-10,
        balance_after=5,
        amount=10,
        reference="1",
        reversal_of=street,
    )
    Card.objects.filter(pk=card.pk).update(balance=5)

    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())
    lines = {line.pk: line.store.name for line in PointTransaction.objects.select_related("store")}
    assert lines[street.pk] == "Main Street"
    assert lines[nowhere.pk] == "Main Street"  # the first branch is the main one
    assert sorted(lines.values()) == ["Main Street"] * 3
    assert list(Store.objects.values_list("name", flat=True)) == ["Main Street"]
