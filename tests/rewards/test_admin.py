import csv
import datetime
import io
import os
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image

from rewards import services
from rewards.admin import REDEMPTION_COLUMNS as CSV_HEADER
from rewards.forms import RewardAdminForm
from rewards.models import Redemption, RedemptionStatus, Reward, RewardKind
from tests.rewards.factories import RewardFactory, top_up

# Session, user, 2 permission queries, the tier filter, 2 counts, the rows with their figures.
REWARD_LIST_QUERIES = 8
# Session, user, 2 permission queries, 4 owner checks, the reward and branch filters, 2 counts,
# the rows with reward, card, fulfiller and branch, and 2 for the date hierarchy.
REDEMPTION_LIST_QUERIES = 15


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


def png(width, height, name="cake.png"):
    output = io.BytesIO()
    Image.new("RGB", (width, height), (200, 120, 40)).save(output, format="PNG")
    return SimpleUploadedFile(name, output.getvalue(), content_type="image/png")


def reward_form(**changes):
    data = {
        "name_en": "Cake",
        "description_en": "A slice of the day's cake.",
        "kind": RewardKind.FREE_ITEM,
        "points_cost": "250",
        "stock": "12",
        "available_from_0": "",
        "available_from_1": "",
        "available_until_0": "",
        "available_until_1": "",
        "per_member_limit": "",
        "minimum_tier": "",
        "valid_days": "30",
        "is_active": "on",
        "display_order": "100",
    }
    data.update(changes)
    return data


def stored_files(media):
    return [path for path in media.rglob("*") if path.is_file()] if media.exists() else []


def test_uploaded_image_is_stored_as_webp_no_larger_than_800(owner_client, media):
    response = owner_client.post(
        reverse("admin:rewards_reward_add"), reward_form(image=png(1600, 1200))
    )

    assert response.status_code == 302, response.content.decode()
    reward = Reward.objects.get()
    assert reward.image.name.startswith("rewards/cake")
    assert reward.image.name.endswith(".webp")
    with Image.open(reward.image.path) as stored:
        assert stored.format == "WEBP"
        assert stored.size == (800, 600)
    assert (reward.points_cost, reward.stock) == (250, 12)


def test_small_image_keeps_its_size(owner_client, media):
    owner_client.post(reverse("admin:rewards_reward_add"), reward_form(image=png(300, 200)))

    with Image.open(Reward.objects.get().image.path) as stored:
        assert (stored.format, stored.size) == ("WEBP", (300, 200))


def test_text_file_named_png_is_refused_and_nothing_is_saved(owner_client, media):
    fake = SimpleUploadedFile("cake.png", b"not a picture at all\n" * 50, "image/png")

    response = owner_client.post(reverse("admin:rewards_reward_add"), reward_form(image=fake))

    page = response.content.decode()
    assert response.status_code == 200
    assert (
        "This file is not an image we can use" in page
        or "Upload a valid image. The file you uploaded was either not an image" in page
    )
    assert not Reward.objects.exists()
    assert stored_files(media) == []


def test_image_over_5_mb_is_refused_and_nothing_is_saved(owner_client, media):
    # Random pixels do not compress, so this PNG is a real image just over the limit.
    side = 1400
    noise = Image.frombytes("RGB", (side, side), os.urandom(side * side * 3))
    output = io.BytesIO()
    noise.save(output, format="PNG", compress_level=0)
    upload = SimpleUploadedFile("big.png", output.getvalue(), content_type="image/png")
    assert upload.size > 5 * 1024 * 1024

    response = owner_client.post(reverse("admin:rewards_reward_add"), reward_form(image=upload))

    assert "The image is larger than 5 MB. Please choose a smaller one." in (
        response.content.decode()
    )
    assert not Reward.objects.exists()
    assert stored_files(media) == []


def row_cells(page, name):
    """The cells of the changelist row whose first column links to `name`, by column."""
    for row in re.findall(r"<tr>(.*?)</tr>", page, flags=re.S):
        if f">{name}</a>" in row:
            cells = re.findall(r'<td class="field-(\w+)[^"]*">(.*?)</td>', row, flags=re.S)
            return {field: value.strip() for field, value in cells}
    raise AssertionError(f"no row for {name}")


def test_reward_list_shows_redeemed_used_cancelled_expired_and_stock_left(
    owner_client, owner, card, time_machine
):
    card = top_up(card, 1950)
    cake = RewardFactory(name="Cake", stock=10, valid_days=30)
    short = RewardFactory(name="Latte", stock=None, valid_days=1)
    services.fulfil_redemption(services.redeem(card, cake), staff=owner)
    services.cancel_redemption(services.redeem(card, cake, quantity=3), by=owner)
    services.redeem(card, cake, quantity=2)  # still open
    services.redeem(card, short, quantity=4)
    time_machine.move_to(datetime.datetime.now(tz=datetime.UTC) + datetime.timedelta(days=2))
    services.expire_vouchers()
    owner_client.force_login(owner)

    page = owner_client.get(reverse("admin:rewards_reward_changelist")).content.decode()

    cake_row = row_cells(page, "Cake")
    assert {
        field: cake_row[field]
        for field in ["stock_left", "redeemed", "fulfilled", "cancelled", "expired"]
    } == {"stock_left": "7", "redeemed": "6", "fulfilled": "1", "cancelled": "3", "expired": "0"}
    latte_row = row_cells(page, "Latte")
    assert (latte_row["stock_left"], latte_row["redeemed"], latte_row["expired"]) == (
        "unlimited",
        "4",
        "4",
    )


@pytest.fixture
def three_vouchers(card, owner):
    card = top_up(card, 950)
    reward = RewardFactory(name="Cake")
    used = services.redeem(card, reward)
    services.fulfil_redemption(used, staff=owner)
    cancelled = services.redeem(card, reward)
    services.cancel_redemption(cancelled, by=owner)
    issued = services.redeem(card, reward, quantity=2)
    return {"used": used, "cancelled": cancelled, "issued": issued}


def test_redemption_list_filters_by_status(owner_client, three_vouchers):
    url = reverse("admin:rewards_redemption_changelist")

    page = owner_client.get(url, {"status__exact": "cancelled"}).content.decode()

    assert three_vouchers["cancelled"].formatted_code in page
    assert three_vouchers["used"].formatted_code not in page
    assert three_vouchers["issued"].formatted_code not in page


def read_csv(response):
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    return list(csv.reader(io.StringIO(text)))


def test_owner_exports_redemptions_as_csv(owner_client, three_vouchers, card):
    response = owner_client.get(reverse("admin:rewards_redemption_changelist"), {"export": "csv"})

    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert 'filename="redemptions.csv"' in response["Content-Disposition"]
    rows = read_csv(response)
    assert rows[0] == CSV_HEADER
    assert len(rows) == 1 + 3
    by_code = {row[0]: dict(zip(CSV_HEADER, row, strict=True)) for row in rows[1:]}
    used = by_code[three_vouchers["used"].code]
    assert used["reward"] == "Cake"
    assert used["card"] == card.number
    assert used["member_email"] == "member@example.com"
    assert used["status"] == "fulfilled"
    assert used["fulfilled_by"] == "owner@example.com"
    issued = by_code[three_vouchers["issued"].code]
    assert (issued["quantity"], issued["points"], issued["fulfilled_at"]) == ("2", "200", "")


def test_csv_export_follows_the_status_filter(owner_client, three_vouchers):
    response = owner_client.get(
        reverse("admin:rewards_redemption_changelist"),
        {"export": "csv", "status__exact": "issued"},
    )

    rows = read_csv(response)
    assert rows[0] == CSV_HEADER
    assert [row[0] for row in rows[1:]] == [three_vouchers["issued"].code]


def test_staff_gets_no_csv_export(staff_client, three_vouchers):
    url = reverse("admin:rewards_redemption_changelist")

    response = staff_client.get(url, {"export": "csv"}, follow=True)

    assert not response["Content-Type"].startswith("text/csv")
    assert three_vouchers["used"].code not in response.content.decode()
    page = staff_client.get(url).content.decode()
    assert "Export the selected redemptions as CSV" not in page
    assert three_vouchers["used"].formatted_code in page  # staff may still look


def test_redemption_admin_is_read_only(owner_client, three_vouchers):
    issued = three_vouchers["issued"]
    change_url = reverse("admin:rewards_redemption_change", args=[issued.pk])

    page = owner_client.get(change_url).content.decode()
    posted = owner_client.post(change_url, {"status": RedemptionStatus.FULFILLED, "quantity": 9})

    assert issued.code in page  # shown, not editable
    assert 'name="_save"' not in page
    assert 'name="status"' not in page
    assert posted.status_code == 403
    assert owner_client.get(reverse("admin:rewards_redemption_add")).status_code == 403
    delete_url = reverse("admin:rewards_redemption_delete", args=[issued.pk])
    assert owner_client.post(delete_url, {"post": "yes"}).status_code == 403
    issued.refresh_from_db()
    assert (issued.status, issued.quantity) == (RedemptionStatus.ISSUED, 2)
    assert Redemption.objects.count() == 3


@pytest.mark.parametrize("rewards", [3, 30])
def test_reward_list_queries_do_not_grow_with_rewards(
    owner_client, card, tiers, rewards, django_assert_max_num_queries
):
    card = top_up(card, 100 * rewards)
    for number in range(rewards):
        reward = RewardFactory(stock=5, minimum_tier=tiers[number % 3])
        if tiers[number % 3].threshold <= card.tier.threshold:
            services.redeem(card, reward)

    with django_assert_max_num_queries(REWARD_LIST_QUERIES):
        response = owner_client.get(reverse("admin:rewards_reward_changelist"))

    assert response.content.decode().count('<td class="field-stock_left">') == rewards


@pytest.mark.parametrize("redemptions", [3, 30])
def test_redemption_list_queries_do_not_grow_with_redemptions(
    owner_client, card, redemptions, django_assert_max_num_queries
):
    card = top_up(card, 100 * redemptions)
    rewards = [RewardFactory() for _ in range(3)]
    for number in range(redemptions):
        services.redeem(card, rewards[number % 3])

    with django_assert_max_num_queries(REDEMPTION_LIST_QUERIES):
        response = owner_client.get(reverse("admin:rewards_redemption_changelist"))

    assert response.content.decode().count('<td class="field-reward') == redemptions


def test_change_form_shows_stock_read_only_and_ignores_a_posted_stock(owner_client):
    reward = RewardFactory(name="Cake", points_cost=250, stock=12)
    change_url = reverse("admin:rewards_reward_change", args=[reward.pk])

    page = owner_client.get(change_url).content.decode()
    response = owner_client.post(change_url, reward_form(name_en="Cake slice", stock="99"))

    assert 'name="stock"' not in page
    assert reverse("admin:rewards_reward_stock", args=[reward.pk]) in page
    assert response.status_code == 302, response.content.decode()
    reward.refresh_from_db()
    assert (reward.name, reward.stock) == ("Cake slice", 12)


def test_saving_the_change_form_keeps_units_redeemed_meanwhile(owner_client, card, monkeypatch):
    card = top_up(card, 450)
    reward = RewardFactory(name="Cake", points_cost=100, stock=12)
    clean = RewardAdminForm.clean

    def redeem_while_the_owner_saves(form):
        services.redeem(card, reward, quantity=3)  # after the admin read the row, before it saves
        return clean(form)

    monkeypatch.setattr(RewardAdminForm, "clean", redeem_while_the_owner_saves)

    response = owner_client.post(
        reverse("admin:rewards_reward_change", args=[reward.pk]), reward_form(name_en="Cake slice")
    )

    assert response.status_code == 302, response.content.decode()
    reward.refresh_from_db()
    assert (reward.name, reward.stock) == ("Cake slice", 9)
