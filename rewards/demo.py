"""Demo rewards and vouchers in every state, and treats taken at the counter through the
year, for `manage.py seed_demo`."""

import datetime
import io
import random

from django.core.files.base import ContentFile
from django.utils import timezone
from PIL import Image, ImageDraw

from core.translations import fill_blank_texts
from loyalty.demo import days_ago
from loyalty.models import Card, CardStatus, StampCard, StampRule, Tier
from rewards import services
from rewards.models import Reward, RewardKind

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


# The rewards in Filipino, Finnish and Indonesian: (name, description). Two Indonesian
# descriptions are left blank on purpose, so the admin's "Missing translations" shows "id".
REWARD_TRANSLATIONS = {
    "Free coffee": {
        "fil": ("Libreng kape", "Kahit anong kape sa menu, kahit anong laki."),
        "fi": ("Ilmainen kahvi", "Mikä tahansa listan kahvi, missä koossa tahansa."),
        "id": ("Kopi gratis", "Kopi apa saja dari menu, ukuran apa saja."),
    },
    "Pastry of the day": {
        "fil": ("Pastry ng araw", "Bagong luto mula sa aming oven tuwing umaga."),
        "fi": ("Päivän leivonnainen", "Tuoreena uunistamme joka aamu."),
        "id": ("Kue hari ini", "Segar dari oven kami setiap pagi."),
    },
    "10% off your bill": {
        "fil": ("10% bawas sa bill mo", "Sampung porsiyentong bawas sa isang bill, kahit magkano."),
        "fi": ("10 % alennus laskusta", "Kymmenen prosenttia pois yhdestä laskusta."),
        "id": ("Diskon 10% tagihan", "Potongan sepuluh persen untuk satu tagihan, berapa pun."),
    },
    "Free refill week": {
        "fil": ("Isang linggong libreng refill", "Libreng refill ng kape sa loob ng pitong araw."),
        "fi": ("Santsiviikko", "Ilmaiset santsikupit seitsemän päivän ajan."),
        "id": ("Seminggu isi ulang gratis", "Isi ulang kopi gratis selama tujuh hari."),
    },
    "Birthday cake slice": {
        "fil": (
            "Isang hiwa ng birthday cake",
            "Isang hiwa ng aming birthday cake, may kandila pa.",
        ),
        "fi": ("Pala syntymäpäiväkakkua", "Pala syntymäpäiväkakkuamme, kynttilän kera."),
        "id": ("Sepotong kue ulang tahun", "Sepotong kue ulang tahun kami, lengkap dengan lilin."),
    },
    "Kapihan tote bag": {
        "fil": ("Kapihan tote bag", "Matibay na cotton tote. Iilan lang ang ginawa."),
        "fi": ("Kapihan-kangaskassi", "Tukeva puuvillakassi. Vain muutama tehty."),
        "id": ("Tas tote Kapihan", ""),
    },
    "Bag of house beans": {
        "fil": ("Isang supot ng house beans", "250 g ng aming house blend, giniling o buo."),
        "fi": ("Pussi talon papuja", "250 g talon sekoitustamme, jauhettuna tai papuina."),
        "id": ("Sekantong biji kopi kami", "250 g racikan khas kami, bubuk atau biji utuh."),
    },
    "Coffee tasting evening": {
        "fil": ("Gabi ng pagtikim ng kape", "Isang gabi kasama ang aming roaster, para sa dalawa."),
        "fi": ("Kahvinmaisteluilta", "Ilta paahtajamme kanssa kahdelle. Vain Kulta-jäsenille."),
        "id": ("Malam mencicipi kopi", "Satu malam bersama roaster kami, untuk berdua."),
    },
    "Barista for a morning": {
        "fil": ("Barista ng isang umaga", "Matutong gumawa ng perpektong shot sa aming counter."),
        "fi": ("Baristana yhden aamun", "Opettele täydellinen espresso tiskimme takana."),
        "id": ("Jadi barista satu pagi", ""),
    },
    "€5 gift voucher": {
        "fil": ("€5 na gift voucher", "Isang €5 na gift voucher para sa kaibigan."),
        "fi": ("5 € lahjakortti", "5 euron lahjakortti ystävälle."),
        "id": ("Voucher hadiah €5", "Voucher hadiah €5 untuk teman."),
    },
    "Meals for the food bank": {
        "fil": ("Pagkain para sa food bank", "Gagawin naming pagkain sa food bank ang points mo."),
        "fi": ("Aterioita ruokapankille", "Muutamme pisteesi aterioiksi kaupungin ruokapankissa."),
        "id": ("Makanan untuk bank pangan", "Poin Anda jadi makanan di bank pangan kota."),
    },
    "Trees for the river park": {
        "fil": ("Mga puno para sa river park", "Magtatanim ng puno sa river park ang points mo."),
        "fi": ("Puita jokipuistoon", "Pisteesi istuttavat puita jokipuiston varrelle."),
        "id": ("Pohon untuk taman sungai", "Poin Anda menanam pohon di sepanjang taman sungai."),
    },
}
STAMP_CARD_TRANSLATIONS = {
    "Coffee card: 9 + 1 free": {
        "fil": ("Kard ng kape: 9 + 1 libre",),
        "fi": ("Kahvikortti: 9 + 1 ilmaiseksi",),
        "id": ("Kartu kopi: 9 + 1 gratis",),
    }
}


def translate_rewards():
    """The demo's rewards and stamp card in every language, where a text is still blank."""
    fill_blank_texts(Reward, ("name", "description"), REWARD_TRANSLATIONS)
    fill_blank_texts(StampCard, ("name",), STAMP_CARD_TRANSLATIONS)


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


TREATS = ["Free coffee", "Pastry of the day"]
TREAT_CHANCE = 0.3  # of a visit by a member who spends their points, with enough of them
KEEPS = 250  # points such a member leaves on the card after a treat


def seed_stamp_card():
    """The café's coffee card: nine visits, the tenth coffee free. Made before the history is
    played, so the demo members' visits stamp it and the keenest have filled a card or two."""
    StampCard.objects.get_or_create(
        name="Coffee card: 9 + 1 free",
        defaults={
            "stamps_needed": 9,
            "rule": StampRule.VISIT,
            "one_per_visit": True,
            "reward": Reward.objects.get(name="Free coffee"),
            "days_to_complete": 180,
        },
    )


def plan_vouchers(timeline, staff, visits=()):
    """Vouchers in every state, each redeemed at the counter by the member with the most
    points at the time (a different member each time). At some of the `visits`, a member
    who spends their points (half do; the others save up) takes a treat on them there and
    then, if they have enough left over."""
    generator = random.Random(5)  # noqa: S311 - demo data, not a secret
    spends = {}
    for visit in visits:
        if not spends.setdefault(visit.user.pk, generator.random() < 0.5):
            continue
        if generator.random() < TREAT_CHANCE:
            treat = generator.choice(TREATS)
            moment = visit.moment + datetime.timedelta(minutes=1)
            timeline.add(moment, _treat, timeline, visit, treat, staff)
    taken = set()

    def redeem_by_richest(*rewards):
        cost = sum(reward.points_cost * quantity for reward, quantity in rewards)
        card = (
            Card.objects.filter(user__isnull=False, status=CardStatus.ACTIVE, balance__gte=cost)
            .exclude(pk__in=taken)
            .order_by("-balance", "pk")
            .first()
        )
        taken.add(card.pk)
        for reward, quantity in rewards:
            voucher = services.redeem(card, reward, quantity=quantity)
        return voucher

    def reward(name, quantity=1):
        return Reward.objects.get(name=name), quantity

    def expired():
        voucher = redeem_by_richest(reward("Pastry of the day"))
        # Nobody came for it: the daily run after its last day gives the points back.
        last_day = timezone.localtime(voucher.valid_until)
        next_run = (last_day + datetime.timedelta(days=1)).replace(hour=3, minute=0)
        timeline.add(next_run, services.expire_if_due, voucher)

    def donated():
        redeem_by_richest(reward("Meals for the food bank", 2))

    def used():
        voucher = redeem_by_richest(reward("Pastry of the day"))
        timeline.add(timezone.now() + datetime.timedelta(minutes=3), _fulfil, voucher, staff)

    def cancelled():
        voucher = redeem_by_richest(reward("Free coffee"))
        timeline.add(timezone.now() + datetime.timedelta(hours=20), _cancel, voucher)

    def issued():
        redeem_by_richest(reward("Free coffee"), reward("Kapihan tote bag"))

    for days, hour, minute, action in [
        (45, 11, 20, expired),
        (20, 12, 5, donated),
        (9, 9, 40, used),
        (4, 15, 30, cancelled),
        (2, 10, 10, issued),
    ]:
        timeline.add(days_ago(timeline.now, days, hour, minute), action)


def _treat(timeline, visit, name, staff):
    reward = Reward.objects.get(name=name)
    card = Card.objects.get(user=visit.user, status=CardStatus.ACTIVE)
    if card.balance >= reward.points_cost + KEEPS:
        voucher = services.redeem(card, reward)
        timeline.add(timezone.now() + datetime.timedelta(minutes=1), _fulfil, voucher, staff)


def _fulfil(voucher, staff):
    services.fulfil_redemption(voucher, staff=staff)


def _cancel(voucher):
    services.cancel_redemption(voucher, by=voucher.card.user)
