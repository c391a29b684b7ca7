"""The owner's dashboard, checked against a small café worked out by hand.

Today is 2 December 2026; the period is the last 30 whole days (2 Nov – 1 Dec), compared
with 3 Oct – 1 Nov.
Five members, each line written by the real services at its moment:

- A joined 10 Jun (8.00), came back 25 Jun (12.00) and on 20 Nov (10.00); redeemed 60 on 25 Nov.
- B joined 20 Jun (7.00), came back 30 Aug (3.00), nothing since: 85 points due to expire.
- C joined 10 Nov (20.00), came back 15 Nov (30.00); a 40.00 purchase on 16 Nov was reversed.
- D joined 20 Oct (5.00), came back 25 Oct (15.00).
- E joined 5 Jan (10.00) and never came back; its 85 points expired on 10 Nov.

Every card earned the 50-point welcome and the 25-point first-purchase bonus; one point per
euro (Bronze, 1×). Points expire after 6 months without activity and are worth €0.05.
"""

import datetime
import io
import re
from decimal import Decimal

import pytest
import time_machine
from django.contrib.auth.models import Group
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts.roles import OWNER
from loyalty import services
from loyalty.models import Program, StampCard, StampRule, TierChange
from rewards import services as reward_services
from suki import dashboard
from suki.models import DashboardSnapshot
from surveys.models import Complaint, ComplaintCategory, ComplaintChannel, ComplaintStatus
from tests.factories import UserFactory, make_card
from tests.rewards.factories import RewardFactory
from tests.surveys.factories import add_response, make_visit_survey

TZ = datetime.timezone(datetime.timedelta(hours=2))  # Helsinki in winter
NOW = datetime.datetime(2026, 12, 2, 12, 0, tzinfo=TZ)


def at(month, day, hour=10):
    zone = timezone.get_current_timezone()
    return timezone.make_aware(datetime.datetime(2026, month, day, hour), zone)


def purchase(card, amount, when, staff, reference):
    with time_machine.travel(when, tick=False):
        return services.record_purchase(card, Decimal(amount), reference=reference, staff=staff)


def join(user, when):
    with time_machine.travel(when, tick=False):
        return make_card(user)


@pytest.fixture
def cafe(db, tiers, staff):
    program = Program.current()
    program.expiry_months = 6
    program.point_value = Decimal("0.05")
    program.save()
    a = join(UserFactory(first_name="Ana"), at(6, 10))
    purchase(a, "8.00", at(6, 10, 11), staff, "A-1")
    purchase(a, "12.00", at(6, 25), staff, "A-2")
    purchase(a, "10.00", at(11, 20), staff, "A-3")
    reward = RewardFactory(name="Free coffee", points_cost=60)
    with time_machine.travel(at(11, 25), tick=False):
        reward_services.redeem(a, reward)
    b = join(UserFactory(first_name="Ben"), at(6, 20))
    purchase(b, "7.00", at(6, 20, 11), staff, "B-1")
    purchase(b, "3.00", at(8, 30), staff, "B-2")
    c = join(UserFactory(first_name="Cora"), at(11, 10))
    purchase(c, "20.00", at(11, 10, 11), staff, "C-1")
    purchase(c, "30.00", at(11, 15), staff, "C-2")
    reversed_line = purchase(c, "40.00", at(11, 16), staff, "C-3").line
    with time_machine.travel(at(11, 16, 12), tick=False):
        services.reverse_purchase(reversed_line, staff=staff, reason="wrong card")
    d = join(UserFactory(first_name="Dan"), at(10, 20))
    purchase(d, "5.00", at(10, 20, 11), staff, "D-1")
    purchase(d, "15.00", at(10, 25), staff, "D-2")
    e = join(UserFactory(first_name="Eve"), at(1, 5))
    purchase(e, "10.00", at(1, 5, 11), staff, "E-1")
    with time_machine.travel(at(11, 10, 3), tick=False):
        assert services.expire_inactive_points(datetime.date(2026, 11, 10)) == 1
    bronze, silver, _gold = tiers
    with time_machine.travel(at(11, 15), tick=False):
        TierChange.objects.create(card=d, from_tier=bronze, to_tier=silver, reason="promotion")
    return {"a": a, "b": b, "c": c, "d": d, "e": e, "reward": reward, "staff": staff}


def build(**query):
    return dashboard.build(query, moment=NOW)


def by_label(section):
    return {figure.label: figure for figure in section}


def test_members_figures_match_the_hand_count(cafe):
    members = by_label(build().sections["members"])

    assert (members["Members"].value, members["Members"].before) == (5, 4)
    assert (members["New members"].value, members["New members"].before) == (1, 1)
    # A, C and D bought in the 90 days to 1 Dec; B and D in the 90 days to 1 Nov.
    assert (members["Active members"].value, members["Active members"].before) == (3, 2)
    # The reversed purchase is no visit.
    assert (members["Visits"].value, members["Visits"].before) == (3, 2)
    assert members["Visits per active member"].value == pytest.approx(1.0)
    assert members["Average spend per visit"].value == Decimal("20.00")
    assert members["Average spend per visit"].before == Decimal("10.00")
    # A came once, C twice; before, only D came, twice.
    assert members["Repeat-visit rate"].value == pytest.approx(0.5)
    assert members["Repeat-visit rate"].before == pytest.approx(1.0)


def test_points_figures_match_the_hand_count(cafe):
    board = build()
    points = by_label(board.sections["points"])

    # C: 50 + 25 + 20 + 30 + 40 − 40; A: 10. Before: D 50 + 25 + 5 + 15.
    assert (points["Points issued"].value, points["Points issued"].before) == (135, 95)
    assert points["Points redeemed"].value == 60
    assert (points["Points expired"].value, points["Points expired"].before) == (85, 0)
    assert points["Redemption rate"].value == pytest.approx(60 / 135)
    # A 45, B 85, C 125, D 95, E 0.
    assert points["Outstanding points"].value == 350
    assert points["Liability"].value == Decimal("17.50")
    # Only B's last activity (30 Aug) is more than 6 months before 2 March 2027.
    assert points["Due to expire in 3 months"].value == 85
    by_kind = {row["kind"]: (row["now"], row["before"]) for row in board.extras["issued_by_kind"]}
    assert by_kind == {
        "signup_bonus": (50, 50),
        "first_purchase_bonus": (25, 25),
        "purchase": (100, 20),
        "purchase_reversal": (-40, 0),
    }


def test_cohort_table_matches_the_hand_count(cafe):
    rows = {row["month"]: row for row in build().extras["cohorts"]}

    assert len(rows) == 12
    assert list(rows)[0] == datetime.date(2026, 1, 1)
    june = rows[datetime.date(2026, 6, 1)]
    assert june["members"] == 2
    # A came back after 15 days, B after 71: within 30, 60 and 90 days.
    assert [cell["count"] for cell in june["back"]] == [1, 1, 2]
    assert [cell["share"] for cell in june["back"]] == [0.5, 0.5, 1.0]
    assert (june["active"], june["active_share"]) == (1, 0.5)
    january = rows[datetime.date(2026, 1, 1)]
    assert (january["members"], [cell["count"] for cell in january["back"]]) == (1, [0, 0, 0])
    assert january["active"] == 0
    october = rows[datetime.date(2026, 10, 1)]
    # D came back within 30 days; the 60- and 90-day windows of October have not passed yet.
    assert [cell["count"] for cell in october["back"]] == [1, 1, 1]
    assert [cell["share"] for cell in october["back"]] == [1.0, None, None]
    november = rows[datetime.date(2026, 11, 1)]
    # C's reversed purchase is no return, but 15 Nov is.
    assert (november["members"], november["back"][0]["count"]) == (1, 1)
    assert rows[datetime.date(2026, 12, 1)]["members"] == 0


def test_rewards_tiers_and_staff_figures(cafe):
    board = build()
    rewards = by_label(board.sections["rewards"])

    assert rewards["Vouchers issued"].value == 1
    assert [
        (row["reward__name"], row["vouchers"], row["points"]) for row in board.extras["top_rewards"]
    ] == [("Free coffee", 1, 60)]
    tiers = board.extras["tiers"]
    assert [(row["tier"].name, row["members"]) for row in tiers["rows"]] == [
        ("Bronze", 5),
        ("Silver", 0),
        ("Gold", 0),
    ]
    assert (tiers["up"], tiers["down"]) == (1, 0)
    (sami,) = board.extras["staff"]
    # In the period: A-3, C-1, C-2, C-3 recorded, C-3 reversed.
    assert (sami["purchases"], sami["reversals"], sami["own_card"]) == (4, 1, 0)
    assert sami["flags"] == []


def test_stamp_card_figures_match_the_hand_count(db, tiers, staff):
    """A 3-stamp coffee card, one stamp a visit. In the period (2 Nov – 1 Dec):
    X starts 5 Nov and fills 12 Nov (7 days), its voucher used 20 Nov; Y starts 10 Oct (the
    period before) and fills 18 Nov (39 days); Z starts 25 Nov; W starts 21 Nov and fills
    23 Nov, but that purchase is reversed, so W's card is not completed."""
    reward = RewardFactory(name="Free coffee", points_cost=1, stock=None)
    StampCard.objects.create(
        name="Coffee card", stamps_needed=3, rule=StampRule.VISIT, reward=reward
    )
    visits = {
        "x": [(11, 5), (11, 8), (11, 12)],
        "y": [(10, 10), (11, 14), (11, 18)],
        "z": [(11, 25)],
        "w": [(11, 21), (11, 22), (11, 23)],
    }
    cards, last = {}, {}
    for name, days in visits.items():
        cards[name] = join(UserFactory(), at(*days[0], hour=8))
        for month, day in days:
            last[name] = purchase(cards[name], "4.50", at(month, day), staff, f"{name}-{day}")
    (x_voucher,) = last["x"].stamps[0].vouchers
    with time_machine.travel(at(11, 20), tick=False):
        reward_services.fulfil_redemption(x_voucher, staff=staff)
    with time_machine.travel(at(11, 23, 12), tick=False):
        services.reverse_purchase(last["w"].line, staff=staff, reason="wrong card")

    stamps = by_label(build().sections["stamps"])

    assert (stamps["Stamp cards started"].value, stamps["Stamp cards started"].before) == (3, 1)
    completed = stamps["Stamp cards completed"]
    assert (completed.value, completed.before) == (2, 0)
    used = stamps["Stamp card vouchers used"]
    assert (used.value, used.before) == (1, 0)
    took = stamps["Average days to complete a card"]
    assert (took.value, took.before) == (23.0, None)


def test_voice_of_the_customer(cafe):
    survey, nps, csat, _comment = make_visit_survey()
    for day, score, rating in [(3, 10, 5), (4, 9, 4), (5, 8, 4), (6, 6, 2), (7, 3, 1)]:
        add_response(survey, {nps: score, csat: rating}, created_at=at(11, day))
    for day, score in [(10, 10), (12, 2)]:
        add_response(survey, {nps: score, csat: 5}, created_at=at(10, day))
    complaint = dict(
        name="A",
        email="a@example.com",
        category=ComplaintCategory.SERVICE,
        description="Cold",
        remedy_sought="apology",
        channel=ComplaintChannel.PORTAL,
    )
    Complaint.objects.create(
        **complaint,
        reference="C-1",
        created_at=at(11, 20),
        first_response_at=at(11, 20, 14),
        resolved_at=at(11, 22),
        rating=4,
        status=ComplaintStatus.RESOLVED,
    )
    Complaint.objects.create(
        **complaint,
        reference="C-2",
        created_at=at(11, 25),
        first_response_at=at(11, 26),
        resolution_due=at(11, 30),
        status=ComplaintStatus.IN_PROGRESS,
    )

    board = build()
    voice = by_label(board.sections["voice"])

    # Two promoters and two detractors of five: NPS 0, ± 1.96 × √(0.8 / 5) = ± 78.
    assert voice["NPS"].value == 0
    assert "± 78" in voice["NPS"].note
    assert voice["NPS"].before is None  # two answers are too few
    assert voice["CSAT"].value == 60  # 3 of 5 rated 4 or 5
    assert (voice["Complaints open"].value, voice["Complaints overdue"].value) == (1, 1)
    # 4 h and 24 h: the median is their mean.
    assert voice["Median time to first reply"].value == datetime.timedelta(hours=14)
    assert voice["Median time to resolution"].value == datetime.timedelta(days=2)
    assert voice["Satisfaction after resolution"].value == 4
    assert [answer.number for answer in board.extras["detractors"]] == [3, 6]
    weeks = {week["start"]: week for week in board.extras["trend"]}
    assert weeks[datetime.date(2026, 11, 2)]["nps"].n == 5
    assert weeks[datetime.date(2026, 11, 2)]["nps"].value == 0
    assert weeks[datetime.date(2026, 10, 5)]["nps"].too_few


def test_the_period_selector(cafe):
    assert (build(period="90").period.start, build(period="90").period.end) == (
        datetime.date(2026, 9, 3),
        datetime.date(2026, 12, 1),
    )
    custom = build(start="2026-06-01", end="2026-06-30")
    assert custom.previous.start == datetime.date(2026, 5, 2)
    june = by_label(custom.sections["members"])
    assert (june["New members"].value, june["Visits"].value) == (2, 3)
    refused = build(start="2026-06-30", end="2026-06-01")
    assert refused.form.errors and refused.period.days == 30
    assert build(period="7").period.days == 30  # not offered: the default


@time_machine.travel(NOW, tick=False)
def test_owner_sees_the_dashboard_with_links_behind_figures(cafe, client):
    owner = UserFactory(is_staff=True, first_name="Olivia")
    owner.groups.add(Group.objects.get(name=OWNER))
    client.force_login(owner)

    page = client.get(reverse("admin:index")).content.decode()

    assert "Retention: who came back" in page
    assert "Liability" in page and "€17.50" in page
    assert "<svg" in page
    changelist = reverse("admin:loyalty_pointtransaction_changelist")
    links = re.findall(r'href="([^"]+)"', page)
    assert any(link.startswith(changelist + "?kind__exact=expiry") for link in links)
    for link in [link for link in links if link.startswith("/admin/") and "?" in link][:40]:
        assert client.get(link.replace("&amp;", "&")).status_code == 200, link


@time_machine.travel(NOW, tick=False)
def test_staff_get_the_counter_index_without_money_or_owner_figures(cafe, staff_client):
    page = staff_client.get(reverse("admin:index")).content.decode()

    assert 'name="query"' in page and "autofocus" in page
    assert "Liability" not in page and "€" not in page and "Retention" not in page
    assert "Staff member" not in page


def test_members_cannot_open_the_admin_index(member_client):
    response = member_client.get(reverse("admin:index"))

    assert response.status_code == 302 and "/login/" in response["Location"]


def queries_for_dashboard(client):
    with CaptureQueriesContext(connection) as queries:
        assert client.get(reverse("admin:index")).status_code == 200
    return len(queries)


@time_machine.travel(NOW, tick=False)
def test_query_count_does_not_grow_with_members_or_lines(cafe, client):
    owner = UserFactory(is_staff=True)
    owner.groups.add(Group.objects.get(name=OWNER))
    client.force_login(owner)
    small = queries_for_dashboard(client)

    staff = cafe["staff"]
    for index in range(15):
        card = join(UserFactory(), at(11, 1 + index))
        purchase(card, "9.00", at(11, 1 + index, 12), staff, f"X-{index}")
    large = queries_for_dashboard(client)

    assert small == large == 32


def test_staff_flags_point_at_what_looks_wrong(cafe, owner):
    program = Program.current()
    program.purchase_ceiling = Decimal("100.00")
    program.save()
    sami, olivia = cafe["staff"], owner
    own = join(olivia, at(11, 3))
    purchase(own, "12.00", at(11, 3, 11), olivia, "O-1")  # on her own card
    for index in range(3):  # just under the 100.00 ceiling: a split bill?
        purchase(cafe["d"], "95.00", at(11, 4 + index), olivia, f"O-{index + 2}")
    for index in range(4):
        line = purchase(cafe["b"], "5.00", at(11, 10 + index), olivia, f"O-R{index}").line
        with time_machine.travel(at(11, 10 + index, 12), tick=False):
            services.reverse_purchase(line, staff=olivia, reason="mistake")

    staff = {row["id"]: row for row in build().extras["staff"]}

    assert (staff[olivia.pk]["own_card"], staff[olivia.pk]["near_ceiling"]) == (1, 3)
    assert staff[olivia.pk]["reversals"] == 4
    assert sorted(staff[olivia.pk]["flags"]) == ["near_ceiling", "own_card", "reversals"]
    assert staff[sami.pk]["flags"] == []


@time_machine.travel(NOW, tick=False)
def test_the_daily_rollup_gives_the_same_figures_in_fewer_queries(cafe, client):
    owner = UserFactory(is_staff=True)
    owner.groups.add(Group.objects.get(name=OWNER))
    client.force_login(owner)
    live = build()
    assert live.snapshot is None

    call_command("run_daily", "--only", stdout=io.StringIO())
    assert DashboardSnapshot.objects.filter(day=NOW.date()).count() == 3
    kept = build()

    assert kept.snapshot is not None
    for section in ("members", "points", "rewards", "stamps", "voice"):
        assert [(f.label, f.value, f.before) for f in kept.sections[section]] == [
            (f.label, f.value, f.before) for f in live.sections[section]
        ]
    assert kept.extras["cohorts"] == live.extras["cohorts"]
    assert kept.extras["staff"] == live.extras["staff"]
    assert kept.extras["issued_by_kind"] == live.extras["issued_by_kind"]
    small = queries_for_dashboard(client)
    staff = cafe["staff"]
    for index in range(10):
        card = join(UserFactory(), at(11, 1 + index))
        purchase(card, "9.00", at(11, 1 + index, 12), staff, f"Y-{index}")
    call_command("run_daily", "--only", stdout=io.StringIO())
    assert queries_for_dashboard(client) == small == 16
    # A custom period is worked out from the ledger.
    assert build(start="2026-11-01", end="2026-12-02").snapshot is None


@time_machine.travel(NOW, tick=False)
def test_today_so_far_counts_only_today(cafe):
    card = join(UserFactory(), at(12, 2, 9))
    purchase(card, "12.00", at(12, 2, 10), cafe["staff"], "T-1")

    today = build().today

    # The welcome bonus 50, the first-purchase bonus 25 and 12 points for 12.00.
    assert (today["visits"], today["spend"], today["new"], today["points"]) == (
        1,
        Decimal("12.00"),
        1,
        87,
    )
