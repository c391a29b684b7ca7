"""Demo rewards and vouchers in every state, for `manage.py seed_demo`."""

import datetime
import io

from django.core.files.base import ContentFile
from django.utils import timezone
from PIL import Image, ImageDraw

from loyalty.demo import clock_at
from loyalty.models import Card, Tier
from rewards import services
from rewards.models import Redemption, Reward, RewardKind

REWARDS = [
    # name, kind, cost, stock, limit, tier, description, colour
    (
        "Free coffee",
        RewardKind.FREE_ITEM,
        150,
        None,
        None,
        None,
        "Any coffee from the menu, any size.",
        "#6f4e37",
    ),
    (
        "Pastry of the day",
        RewardKind.FREE_ITEM,
        120,
        None,
        None,
        None,
        "Fresh from our oven every morning.",
        "#d4a373",
    ),
    (
        "10% off your bill",
        RewardKind.DISCOUNT,
        250,
        None,
        None,
        None,
        "Ten per cent off one bill, any amount.",
        "#2a9d8f",
    ),
    (
        "Free refill week",
        RewardKind.VOUCHER,
        300,
        None,
        1,
        None,
        "Free coffee refills for seven days.",
        "#264653",
    ),
    (
        "Birthday cake slice",
        RewardKind.FREE_ITEM,
        200,
        None,
        1,
        None,
        "A slice of our birthday cake, candle included.",
        "#e76f51",
    ),
    (
        "Kapihan tote bag",
        RewardKind.FREE_ITEM,
        600,
        5,
        1,
        None,
        "Sturdy cotton tote. Only a few made.",
        "#8ab17d",
    ),
    (
        "Bag of house beans",
        RewardKind.FREE_ITEM,
        800,
        20,
        2,
        "Silver",
        "250 g of our house blend, ground or whole.",
        "#7f5539",
    ),
    (
        "Coffee tasting evening",
        RewardKind.EXPERIENCE,
        1200,
        12,
        1,
        "Gold",
        "An evening with our roaster, for two. Gold members only.",
        "#9a7b00",
    ),
    (
        "Barista for a morning",
        RewardKind.EXPERIENCE,
        2000,
        2,
        1,
        "Gold",
        "Learn to pull the perfect shot behind our counter.",
        "#3d405b",
    ),
    (
        "€5 gift voucher",
        RewardKind.VOUCHER,
        100 * 5 * 2,
        None,
        None,
        None,
        "A €5 gift voucher for a friend.",
        "#bc6c25",
    ),
    (
        "Meals for the food bank",
        RewardKind.DONATION,
        100,
        None,
        None,
        None,
        "We turn your points into meals at the city food bank.",
        "#588157",
    ),
    (
        "Trees for the river park",
        RewardKind.DONATION,
        250,
        None,
        None,
        None,
        "Your points plant trees along the river park.",
        "#386641",
    ),
]


def _picture(name, colour):
    image = Image.new("RGB", (800, 600), colour)
    draw = ImageDraw.Draw(image)
    draw.ellipse((250, 150, 550, 450), outline="white", width=12)
    output = io.BytesIO()
    image.save(output, format="WEBP", quality=80)
    return ContentFile(output.getvalue(), name=f"{name.lower().replace(' ', '-')[:30]}.webp")


def seed_rewards():
    tiers = {tier.name: tier for tier in Tier.objects.all()}
    for order, (name, kind, cost, stock, limit, tier, description, colour) in enumerate(REWARDS):
        if Reward.objects.filter(name=name).exists():
            continue
        reward = Reward(
            name=name,
            kind=kind,
            points_cost=cost,
            stock=stock,
            per_member_limit=limit,
            minimum_tier=tiers.get(tier),
            description=description,
            display_order=order * 10,
        )
        reward.image.save(f"{name}.webp", _picture(name, colour), save=False)
        reward.save()


def seed_vouchers(staff):
    """A few vouchers in every state, from the members with the most points."""
    if Redemption.objects.exists():
        return
    coffee = Reward.objects.get(name="Free coffee")
    pastry = Reward.objects.get(name="Pastry of the day")
    tote = Reward.objects.get(name="Kapihan tote bag")
    cards = list(Card.objects.filter(user__isnull=False).order_by("-balance")[:6])
    now = timezone.now()
    issued = services.redeem(cards[0], coffee)
    services.redeem(cards[0], tote)
    used = services.redeem(cards[1], pastry)
    services.fulfil_redemption(used, staff=staff)
    cancelled = services.redeem(cards[2], coffee)
    services.cancel_redemption(cancelled, by=cards[2].user)
    with clock_at(now - datetime.timedelta(days=45)):
        old = services.redeem(cards[3], pastry)
    services.expire_if_due(old)
    services.redeem(cards[4], Reward.objects.get(name="Meals for the food bank"), quantity=2)
    return issued
