"""How the owner dashboard's time grows with the shop: GET /admin/ at two sizes of data.

    .venv/bin/python bench/dashboard.py [--sizes 20000 2000000] [--runs 10] [--warmup 3]
                                        [--periods 30 365] [--database-url URL] [--verbose]

For each size (ledger lines; one member per 20 lines) it builds a throwaway PostgreSQL
database with a year of history, generated in set-based SQL (INSERT … SELECT over
generate_series, balances from window functions) because two million lines through the
services would take hours. The data still adds up as if the services had written it: every
card's balance is the sum of its lines, every line's balance_after the running sum, no balance
goes below zero (`manage.py check_ledger` is run on it). It then fetches the admin index as an
owner with django.test.Client, like bench/run.py, and prints the median time and the SQL
queries of one request at each size, and their ratio. The target: at most 3 times slower at
100 times the data, with the same queries. Until the dashboard lands it measures the plain
admin index. A benchmark is not a test: it fails only if it crashes or a page is not 200.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import platform
import shutil
import signal
import statistics
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from run import BenchError, configure, postgresql_database

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

DEFAULT_SERVER = "postgres://postgres@127.0.0.1:5432/"
DEFAULT_SIZES = (20_000, 2_000_000)
LINES_PER_MEMBER = 20
STAFF_MEMBERS = 5
RATIO_TARGET = 3
URL = "/admin/"

# The catalog: name, kind, points cost (each cost once: a redemption takes the dearest reward
# its budget allows), minimum tier.
REWARDS = [
    ("Espresso", "free_item", 50),
    ("Filter coffee", "free_item", 80),
    ("Cinnamon bun", "free_item", 120),
    ("Donate to the food bank", "donation", 150),
    ("Cappuccino", "free_item", 200),
    ("10% off beans", "discount", 300),
    ("Breakfast for one", "free_item", 450),
    ("5 € voucher", "voucher", 600),
    ("Barista class", "experience", 1000),
    ("Bag of house beans", "free_item", 1400),
    ("Tasting evening for two", "experience", 2000),
]
ADJUSTMENT_POINTS = 25


@dataclass(frozen=True)
class Size:
    """How much data one database gets, all scaled from the ledger lines."""

    lines: int

    @property
    def members(self) -> int:
        return max(self.lines // LINES_PER_MEMBER, 1)

    @property
    def responses(self) -> int:  # post-visit survey answers: one purchase in ten or so
        return max(self.lines // 10, 10)

    @property
    def complaints(self) -> int:
        return max(self.lines // 100, 10)

    @property
    def testimonials(self) -> int:
        return max(self.lines // 1000, 5)

    def __str__(self) -> str:
        return f"{self.lines:,} lines"


@dataclass
class Result:
    period: int
    milliseconds: float
    queries: int
    slowest: list[tuple[float, str]] = field(default_factory=list)


# The throwaway databases. -----------------------------------------------------------------

_configured = False


def use_database(database_url: str, workdir: Path) -> None:
    """Point Django at a fresh database and migrate it: configured once (bench/run.py's
    settings), then moved to the next size's database."""
    global _configured
    if not _configured:
        configure(database_url, workdir)
        _configured = True
        return
    from django.conf import settings
    from django.contrib.contenttypes.models import ContentType
    from django.core.cache import cache
    from django.core.management import call_command
    from django.db import connections

    connections.close_all()
    name = urlsplit(database_url).path.lstrip("/")
    settings.DATABASES["default"]["NAME"] = name
    connections["default"].settings_dict["NAME"] = name
    ContentType.objects.clear_cache()
    cache.clear()
    call_command("migrate", verbosity=0, interactive=False)


@contextlib.contextmanager
def bench_database(server_url: str) -> Iterator[str]:
    """bench/run.py's throwaway database; on an error or Ctrl-C, the connections still busy in
    it (a statement the server is finishing) are ended first, so it can be dropped."""
    with postgresql_database(server_url) as database_url:
        try:
            yield database_url
        except BaseException:
            import psycopg

            parts = urlsplit(database_url)
            maintenance = urlunsplit(parts._replace(path="/postgres"))
            with psycopg.connect(maintenance, autocommit=True) as connection:
                connection.execute(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                    "WHERE datname = %s AND pid <> pg_backend_pid()",
                    [parts.path.lstrip("/")],
                )
            raise


# The data. ---------------------------------------------------------------------------------


@dataclass
class Base:
    """What the set-based SQL builds on, made through the ORM (a few rows)."""

    owner: object
    staff_ids: list[int]
    survey_id: int
    nps_id: int
    csat_id: int
    text_id: int
    survey_bonus: int


def seed_base() -> Base:
    from django.contrib.auth.models import Group

    from accounts.models import User
    from accounts.roles import OWNER, STAFF
    from loyalty import demo
    from rewards.models import Reward
    from surveys.models import Question, QuestionKind, Survey

    owner = User.objects.create_user("owner@bench.invalid", first_name="Olivia", is_staff=True)
    owner.groups.add(Group.objects.get(name=OWNER))
    staff_group = Group.objects.get(name=STAFF)
    staff_ids = []
    for number in range(1, STAFF_MEMBERS + 1):
        staff = User.objects.create_user(
            f"staff{number}@bench.invalid", first_name=f"Staff {number}", is_staff=True
        )
        staff.groups.add(staff_group)
        staff_ids.append(staff.pk)
    demo.seed_program(owner)  # the demo tiers (Bronze 0, Silver 500, Gold 1500) and bonus days
    Reward.objects.bulk_create(
        Reward(name=name, kind=kind, points_cost=cost, display_order=order)
        for order, (name, kind, cost) in enumerate(REWARDS)
    )
    survey = Survey.objects.create(
        title="How was your visit?", is_post_visit=True, completion_bonus=20
    )
    nps = Question.objects.create(
        survey=survey, order=1, kind=QuestionKind.NPS, text="Would you recommend us?"
    )
    csat = Question.objects.create(
        survey=survey, order=2, kind=QuestionKind.CSAT, text="How satisfied were you?"
    )
    text = Question.objects.create(
        survey=survey, order=3, kind=QuestionKind.LONG_TEXT, text="Anything else?"
    )
    return Base(owner, staff_ids, survey.pk, nps.pk, csat.pk, text.pk, survey.completion_bonus)


# Members and their cards, one a row; `weight` is how much of the ledger a card gets: most
# cards a little, a few a lot, older cards more (they had longer to visit). Card n joined
# (n/members) of the year ago, so ids follow joining dates as they would in the shop.
CARDS = """
CREATE TEMP TABLE bench_card ON COMMIT DROP AS
SELECT n, %(user0)s + n AS user_id, %(card0)s + n AS card_id, joined,
       joined + interval '2 minutes' + random() * interval '13 minutes' AS first_at,
       mod(n, 10) < 3 AS physical,
       CASE WHEN mod(n, 10) < 7
            THEN make_date(1955 + mod(n * 7, 50), 1 + mod(n * 5, 12), 1 + mod(n * 3, 28))
       END AS birthday,
       power(random(), 4) * extract(epoch FROM %(now)s - joined) / (365 * 86400.0) AS weight
FROM (
    SELECT n, %(now)s - interval '1 hour'
              - interval '365 days' * ((%(members)s - n + random()) / %(members)s) AS joined
    FROM generate_series(1, %(members)s) AS n
) AS c
"""

LINES = """
CREATE TEMP TABLE bench_line0 (
    seq bigint GENERATED ALWAYS AS IDENTITY,
    card_id bigint, n int, created_at timestamptz, kind text, amount numeric(10, 2),
    pooled boolean, counter boolean
) ON COMMIT DROP
"""

# Every card: the sign-up bonus when it was issued, a first purchase a few minutes later and
# its first-purchase bonus; a birthday bonus on the member's last birthday since joining.
FIXED_LINES = """
INSERT INTO bench_line0 (card_id, n, created_at, kind, amount, pooled, counter)
SELECT card_id, n, joined, 'signup_bonus', NULL, false, physical FROM bench_card
UNION ALL
SELECT card_id, n, first_at, 'purchase',
       round((3.5 + power(random(), 2) * 44.5)::numeric, 2), false, true
FROM bench_card
UNION ALL
SELECT card_id, n, first_at + interval '1 second', 'first_purchase_bonus', NULL, false, true
FROM bench_card
UNION ALL
SELECT card_id, n, birthday_at, 'birthday_bonus', NULL, false, false
FROM (
    SELECT card_id, n, joined,
           (CASE WHEN this_year < %(now)s THEN this_year ELSE this_year - interval '1 year' END)
           AS birthday_at
    FROM (
        SELECT card_id, n, joined,
               (make_date(extract(year FROM %(now)s AT TIME ZONE %(tz)s)::int,
                          extract(month FROM birthday)::int, extract(day FROM birthday)::int)
                + time '06:00') AT TIME ZONE %(tz)s AS this_year
        FROM bench_card WHERE birthday IS NOT NULL
    ) AS b
) AS b
WHERE birthday_at > joined + interval '20 minutes'
"""

# The rest of the ledger, shared out by weight (largest remainders, so the total is exact),
# each line at a random moment after the card's first visit (one member in 25 stopped coming
# halfway): mostly purchases, some redemptions (their points are decided below), survey
# bonuses, goodwill and adjustments.
POOL_LINES = """
INSERT INTO bench_line0 (card_id, n, created_at, kind, amount, pooled, counter)
WITH share AS (
    SELECT card_id, %(pool)s * weight / sum(weight) OVER () AS share FROM bench_card
), floored AS (
    SELECT card_id, floor(share)::int AS k, share - floor(share) AS remainder FROM share
), counts AS (
    SELECT card_id,
           k + (row_number() OVER (ORDER BY remainder DESC, card_id)
                <= %(pool)s - sum(k) OVER ())::int AS k
    FROM floored
)
SELECT card_id, n, created_at,
       CASE WHEN roll < 0.88 THEN 'purchase' WHEN roll < 0.93 THEN 'redemption'
            WHEN roll < 0.96 THEN 'survey_bonus' WHEN roll < 0.98 THEN 'goodwill'
            ELSE 'adjustment' END,
       amount, true, false
FROM (
    SELECT c.card_id, c.n,
           c.joined + interval '20 minutes'
           + random() * (%(now)s - c.joined - interval '20 minutes')
           * CASE WHEN mod(c.n, 25) = 7 THEN 0.5 ELSE 1 END AS created_at,
           random() AS roll, round((3.5 + power(random(), 2) * 44.5)::numeric, 2) AS amount
    FROM counts JOIN bench_card AS c USING (card_id), generate_series(1, counts.k)
) AS p
"""

LOOKUPS = """
CREATE TEMP TABLE bench_tier ON COMMIT DROP AS
SELECT id, threshold::bigint AS threshold, multiplier, name,
       lead(threshold::bigint, 1, 9223372036854775807) OVER (ORDER BY threshold) AS below
FROM loyalty_tier;
CREATE TEMP TABLE bench_reward ON COMMIT DROP AS
SELECT id, points_cost AS cost, name, valid_days, kind,
       lead(points_cost, 1, 2147483647) OVER (ORDER BY points_cost) AS above
FROM rewards_reward WHERE is_active;
"""

# Tiers: the points a card earned before each line (the services' EARNING_KINDS, without the
# tier multiplier) decide its tier at that line, the tier a purchase is multiplied by, and the
# tier changes. `gain` is what a line adds; redemptions are decided next.
EARNINGS = """
CREATE TEMP TABLE bench_line1 ON COMMIT DROP AS
SELECT l.*, tb.id AS tier_before_id, ta.id AS tier_after_id, tb.name AS tier_name,
       coalesce(tb.multiplier, 1) AS multiplier,
       floor(l.amount * %(ppu)s * coalesce(tb.multiplier, 1))::int AS purchase_points,
       CASE l.kind WHEN 'purchase' THEN floor(l.amount * %(ppu)s * coalesce(tb.multiplier, 1))
                   WHEN 'adjustment' THEN %(adjustment)s WHEN 'redemption' THEN 0
                   ELSE l.earn END::int AS gain
FROM (
    SELECT l.*, e.earn,
           sum(e.earn) OVER (PARTITION BY l.card_id ORDER BY l.created_at, l.seq
                             ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS earned_before
    FROM bench_line0 AS l
    CROSS JOIN LATERAL (
        SELECT CASE l.kind WHEN 'purchase' THEN floor(l.amount * %(ppu)s)
                           WHEN 'signup_bonus' THEN %(signup)s
                           WHEN 'first_purchase_bonus' THEN %(first_purchase)s
                           WHEN 'birthday_bonus' THEN %(birthday)s
                           WHEN 'survey_bonus' THEN %(survey_bonus)s
                           WHEN 'goodwill' THEN %(goodwill)s
                           ELSE 0 END::bigint AS earn
    ) AS e
) AS l
LEFT JOIN bench_tier AS tb
    ON l.earned_before >= tb.threshold AND l.earned_before < tb.below
LEFT JOIN bench_tier AS ta
    ON coalesce(l.earned_before, 0) + l.earn >= ta.threshold
   AND coalesce(l.earned_before, 0) + l.earn < ta.below
"""

# Redemptions never take a balance below zero: the j-th redemption on a card spends at most
# 1/2^j of the points gained before it, so all of them together spend less than was gained.
# It takes the dearest reward that budget allows (one line in ten is paying with points at the
# counter instead, in steps); with too small a budget the line is a purchase after all.
REDEMPTIONS = """
CREATE TEMP TABLE bench_line2 ON COMMIT DROP AS
SELECT l.seq, l.card_id, l.n, l.created_at, l.amount, l.pooled, l.counter, l.earn,
       l.earned_before, l.tier_before_id, l.tier_after_id, l.tier_name, l.multiplier,
       CASE WHEN l.kind <> 'redemption' THEN l.kind
            WHEN l.paid_with_points AND l.pay >= %(step)s THEN 'redemption'
            WHEN NOT l.paid_with_points AND r.id IS NOT NULL THEN 'redemption'
            ELSE 'purchase' END AS kind,
       CASE WHEN l.kind <> 'redemption' THEN l.gain
            WHEN l.paid_with_points AND l.pay >= %(step)s THEN -l.pay
            WHEN NOT l.paid_with_points AND r.id IS NOT NULL THEN -r.cost
            ELSE l.purchase_points END AS points,
       CASE WHEN NOT l.paid_with_points THEN r.id END AS reward_id,
       CASE WHEN NOT l.paid_with_points THEN r.name END AS reward_name,
       CASE WHEN NOT l.paid_with_points THEN r.valid_days END AS valid_days,
       CASE WHEN NOT l.paid_with_points THEN r.kind END AS reward_kind
FROM (
    SELECT l.*, mod(l.seq, 10) = 3 AS paid_with_points,
           (floor(l.budget / %(step)s) * %(step)s)::int AS pay
    FROM (
        SELECT l.*,
               coalesce(sum(l.gain) OVER w_before, 0) * (0.5 + random() / 2)
               / power(2, count(*) FILTER (WHERE l.kind = 'redemption') OVER w_upto) AS budget
        FROM bench_line1 AS l
        WINDOW w_before AS (PARTITION BY l.card_id ORDER BY l.created_at, l.seq
                            ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING),
               w_upto AS (PARTITION BY l.card_id ORDER BY l.created_at, l.seq
                          ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW)
    ) AS l
) AS l
LEFT JOIN bench_reward AS r
    ON l.kind = 'redemption' AND l.budget >= r.cost AND l.budget < r.above
"""

# One voucher in twelve is cancelled, or expires unused, and its points come back: the card's
# next line (a purchase or bonus worth no more than the voucher) becomes the refund, so no
# balance goes down. Then the members who stopped coming have their points expire on their
# last line, if it is over a month old.
REFUNDS_AND_EXPIRY = """
CREATE TEMP TABLE bench_line3 ON COMMIT DROP AS
WITH next_line AS (
    SELECT seq, kind, reward_id,
           lead(seq) OVER w AS next_seq, lead(points) OVER w AS next_points,
           lead(kind) OVER w AS next_kind, lead(pooled) OVER w AS next_pooled, -points AS cost,
           reward_name
    FROM bench_line2
    WINDOW w AS (PARTITION BY card_id ORDER BY created_at, seq)
), refund AS (
    SELECT next_seq AS seq, seq AS refund_of, cost, reward_name FROM next_line
    WHERE kind = 'redemption' AND reward_id IS NOT NULL AND mod(seq, 12) = 5
      AND next_pooled AND next_points <= cost
      AND next_kind IN ('purchase', 'survey_bonus', 'goodwill', 'adjustment')
), refunded AS (
    SELECT l.seq, l.card_id, l.n, l.created_at, l.pooled, l.counter, l.earn, l.earned_before,
           l.tier_before_id, l.tier_after_id, l.tier_name, l.multiplier, f.refund_of,
           CASE WHEN f.seq IS NULL THEN l.kind ELSE 'redemption_refund' END AS kind,
           CASE WHEN f.seq IS NULL THEN l.points ELSE f.cost END AS points,
           CASE WHEN f.seq IS NULL THEN l.amount END AS amount,
           CASE WHEN f.seq IS NULL THEN l.reward_id END AS reward_id,
           coalesce(f.reward_name, l.reward_name) AS reward_name,
           l.valid_days, l.reward_kind
    FROM bench_line2 AS l LEFT JOIN refund AS f USING (seq)
), positioned AS (
    SELECT r.*,
           row_number() OVER (PARTITION BY card_id ORDER BY created_at DESC, seq DESC) = 1
           AS is_last,
           coalesce(sum(points) OVER (PARTITION BY card_id ORDER BY created_at, seq
                                     ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING), 0)
           AS balance_before,
           lag(created_at) OVER (PARTITION BY card_id ORDER BY created_at, seq) AS before_at
    FROM refunded AS r
)
SELECT seq, card_id, n, created_at, pooled, counter, earn, earned_before, tier_before_id,
       tier_after_id, tier_name, multiplier, refund_of, valid_days, reward_kind,
       CASE WHEN expires THEN 'expiry' ELSE kind END AS kind,
       CASE WHEN expires THEN -balance_before ELSE points END AS points,
       CASE WHEN expires THEN NULL ELSE amount END AS amount,
       CASE WHEN expires THEN NULL ELSE reward_id END AS reward_id,
       CASE WHEN expires THEN 'No activity since ' || to_char(before_at AT TIME ZONE %(tz)s,
                                                             'YYYY-MM-DD')
            ELSE reward_name END AS note
FROM (
    SELECT p.*, is_last AND pooled AND mod(n, 25) = 7 AND balance_before > 0
                AND kind NOT IN ('redemption', 'redemption_refund')
                AND created_at < %(now)s - interval '30 days' AS expires
    FROM positioned AS p
) AS p
"""

# Ids in time order (as the shop would have written them: check_ledger reads the last line by
# id), the running balance, and voucher ids for the redemptions of a reward.
LEDGER = """
CREATE TEMP TABLE bench_ledger ON COMMIT DROP AS
SELECT %(line0)s + row_number() OVER (ORDER BY created_at, seq) AS id, l.*,
       sum(points) OVER (PARTITION BY card_id ORDER BY created_at, seq
                         ROWS UNBOUNDED PRECEDING) AS balance_after,
       CASE WHEN kind = 'redemption' AND reward_id IS NOT NULL
            THEN %(redemption0)s + row_number() OVER (
                PARTITION BY kind = 'redemption' AND reward_id IS NOT NULL
                ORDER BY created_at, seq)
       END AS redemption_id
FROM bench_line3 AS l
"""

USERS = """
INSERT INTO accounts_user (id, password, last_login, is_superuser, first_name, last_name,
                           is_staff, is_active, date_joined, email, birthday, phone, language,
                           marketing_consent, receipt_emails, birthday_changed_at)
SELECT user_id, '!', NULL, false,
       (%(first_names)s::text[])[1 + mod(n, %(name_count)s)],
       CASE WHEN mod(n, 10) = 0 THEN (%(last_names)s::text[])[1 + mod(n * 7, %(name_count)s)]
            ELSE (%(surname_starts)s::text[])[1 + mod(n * 17, 40)]
                 || (%(surname_ends)s::text[])[1 + mod(n / 40, 40)] END,
       false, true, joined, 'member' || n || '@bench.invalid', birthday,
       CASE WHEN mod(n, 5) < 4
            THEN '+358 40 ' || substr(lpad(n::text, 7, '0'), 1, 3) || ' '
                 || substr(lpad(n::text, 7, '0'), 4) ELSE '' END,
       'en', mod(n, 3) = 0, mod(n, 4) = 0, NULL
FROM bench_card ORDER BY n
"""

# Surnames for nine members in ten, 1,600 of them (the other tenth have the demo's): a whole
# name is shared by a few members at 100,000, as in a town, not by thousands.
SURNAME_STARTS = (  # noqa: SIM905 - forty parts, easier read as words
    "Aal Berg Dal Ek Fors Gran Hag Holm Kall Kos Lah Lind Lund Mal Nor Ny Pal Ras Salo Sand "
    "Sjö Stig Tal Vall Vir Wik Ala Ant Hir Jär Kan Kor Lai Mäki Nie Pel Rii Saa Tuo Vaa"
).split()
SURNAME_ENDS = (  # noqa: SIM905
    "berg dahl gren holm kivi lund mäki nen qvist ström niemi oja rinne salo vaara lahti järvi "
    "koski maa pää la sto tie harju aho mo kari ranta suo vuori ila inen ala talo kallio korpi "
    "luoto metsä ranen virta"
).split()

CARDS_INSERT = """
INSERT INTO loyalty_card (id, number, user_id, status, is_physical, holder_name, holder_email,
                          holder_phone, holder_email_consent, claim_pin, failed_claims,
                          claimed_at, balance, tier_id, replaced_by_id, created_at,
                          last_activity_at, expiry_warned_at, tier_warned_at, issued_by_id)
SELECT c.card_id, number.number, c.user_id, 'active', c.physical, '', '', '', false, '', 0,
       c.joined,
       t.balance, tier.id, NULL, c.joined, t.last_at, NULL, NULL,
       CASE WHEN c.physical THEN (%(staff)s::bigint[])[1 + mod(c.n, %(staff_count)s)] END
FROM bench_card AS c
JOIN unnest(%(numbers)s::text[]) WITH ORDINALITY AS number (number, n) ON number.n = c.n
JOIN (
    SELECT card_id, sum(points) AS balance, max(created_at) AS last_at, sum(earn) AS earned
    FROM bench_ledger GROUP BY card_id
) AS t USING (card_id)
LEFT JOIN bench_tier AS tier ON t.earned >= tier.threshold AND t.earned < tier.below
ORDER BY c.card_id
"""

TIER_CHANGES = """
INSERT INTO loyalty_tierchange (card_id, from_tier_id, to_tier_id, reason, created_at)
SELECT card_id, tier_before_id, tier_after_id,
       (coalesce(earned_before, 0) + earn) || ' points earned', created_at
FROM bench_ledger
WHERE tier_after_id IS DISTINCT FROM tier_before_id
ORDER BY id
"""

# Vouchers: cancelled or expired where a refund line came back for them; donations used at
# once; those past their date used (unused ones would have expired and been refunded); the
# rest issued or used.
REDEMPTIONS_INSERT = """
INSERT INTO rewards_redemption (id, code, card_id, reward_id, quantity, points, status,
                                created_at, valid_until, fulfilled_at, fulfilled_by_id,
                                closed_at, closed_by_id)
SELECT id, translate(lpad(id::text, 10, '0'), '0123456789', 'ABCDEFGHJK'), card_id,
       reward_id, 1, cost,
       CASE WHEN refunded_at IS NOT NULL AND refunded_at > valid_until THEN 'expired'
            WHEN refunded_at IS NOT NULL THEN 'cancelled'
            WHEN used THEN 'fulfilled' ELSE 'issued' END,
       created_at, valid_until,
       CASE WHEN refunded_at IS NOT NULL OR NOT used THEN NULL
            WHEN reward_kind = 'donation' THEN created_at
            WHEN valid_until < %(now)s THEN created_at + random() * (valid_until - created_at)
            ELSE created_at + random() * (%(now)s - created_at) END,
       CASE WHEN refunded_at IS NULL AND used AND reward_kind <> 'donation'
            THEN (%(staff)s::bigint[])[1 + mod(id, %(staff_count)s)] END,
       refunded_at,
       CASE WHEN refunded_at IS NOT NULL AND refunded_at <= valid_until
            THEN (%(staff)s::bigint[])[1 + mod(id, %(staff_count)s)] END
FROM (
    SELECT r.redemption_id AS id, r.card_id, r.reward_id, -r.points AS cost, r.created_at,
           r.created_at + interval '1 day' * r.valid_days AS valid_until, r.reward_kind,
           f.created_at AS refunded_at,
           r.reward_kind = 'donation'
           OR r.created_at + interval '1 day' * r.valid_days < %(now)s
           OR mod(r.redemption_id, 5) >= 3 AS used
    FROM bench_ledger AS r
    LEFT JOIN bench_ledger AS f ON f.refund_of = r.seq
    WHERE r.redemption_id IS NOT NULL
) AS v
ORDER BY id
"""

LEDGER_INSERT = """
INSERT INTO loyalty_pointtransaction (id, card_id, kind, points, balance_after, amount,
                                      reference, note, store_id, tier_name, tier_multiplier,
                                      bonus_multiplier, bonus_points, bonus_day_name,
                                      reversal_of_id, created_by_id, created_at, source_type_id,
                                      source_id)
SELECT l.id, l.card_id, l.kind, l.points, l.balance_after,
       CASE WHEN l.kind = 'purchase' THEN l.amount END,
       CASE WHEN l.kind = 'purchase'
            THEN (%(prefixes)s::text[])[1 + mod(l.seq, 2)] || '-' || lpad(l.seq::text, 8, '0')
            ELSE '' END,
       CASE WHEN l.kind IN ('redemption', 'redemption_refund', 'expiry')
                 AND l.note IS NOT NULL THEN l.note
            WHEN l.kind = 'redemption' THEN 'Paid with points'
            WHEN l.kind = 'goodwill' THEN 'Sorry for the wait'
            WHEN l.kind = 'adjustment' THEN 'Stamp card carried over'
            ELSE '' END,
       CASE WHEN l.kind = 'purchase' THEN (%(stores)s::bigint[])[1 + mod(l.seq, 2)] END,
       CASE WHEN l.kind = 'purchase' THEN coalesce(l.tier_name, '') ELSE '' END,
       CASE WHEN l.kind = 'purchase' THEN l.multiplier END,
       NULL, 0, '', NULL,
       CASE WHEN l.kind = 'adjustment' THEN %(owner)s
            WHEN l.kind IN ('purchase', 'first_purchase_bonus', 'goodwill')
              OR (l.kind = 'signup_bonus' AND l.counter)
              OR (l.kind = 'redemption' AND l.redemption_id IS NULL)
              OR (l.kind = 'redemption_refund' AND mod(l.seq, 2) = 0)
            THEN (%(staff)s::bigint[])[1 + mod(l.seq, %(staff_count)s)] END,
       l.created_at,
       CASE WHEN l.redemption_id IS NOT NULL OR r.redemption_id IS NOT NULL
            THEN %(redemption_type)s END,
       coalesce(l.redemption_id, r.redemption_id)
FROM bench_ledger AS l LEFT JOIN bench_ledger AS r ON r.seq = l.refund_of
ORDER BY l.id
"""

# Post-visit survey answers for one purchase in so many (mostly promoters, as in a shop people
# like), an hour or two after the visit.
RESPONSES = """
CREATE TEMP TABLE bench_response ON COMMIT DROP AS
SELECT %(response0)s + row_number() OVER (ORDER BY id) AS id, id AS purchase_id, card_id,
       card_id - %(card0)s + %(user0)s AS user_id, tier_before_id AS tier_id,
       least(created_at + interval '1 hour' + random() * interval '2 hours', %(now)s)
       AS created_at
FROM (
    SELECT id, card_id, tier_before_id, created_at, row_number() OVER (ORDER BY id) AS r
    FROM bench_ledger WHERE kind = 'purchase'
) AS p
WHERE mod(r, %(every)s) = 0
ORDER BY id LIMIT %(responses)s;

INSERT INTO surveys_response (id, survey_id, user_id, card_id, tier_id, purchase_id,
                              session_key, created_at)
SELECT id, %(survey)s, user_id, card_id, tier_id, purchase_id, '', created_at
FROM bench_response ORDER BY id;

INSERT INTO surveys_answer (response_id, question_id, number, text)
SELECT id, %(nps)s,
       CASE WHEN u < 0.55 THEN 9 + floor(v * 2) WHEN u < 0.8 THEN 7 + floor(v * 2)
            ELSE floor(v * 7) END, ''
FROM (SELECT id, random() AS u, random() AS v FROM bench_response) AS r
UNION ALL
SELECT id, %(csat)s,
       CASE WHEN u < 0.5 THEN 5 WHEN u < 0.8 THEN 4 ELSE 1 + floor(v * 3) END, ''
FROM (SELECT id, random() AS u, random() AS v FROM bench_response) AS r
UNION ALL
SELECT id, %(text)s, NULL, 'Lovely coffee, the queue was long.'
FROM bench_response WHERE mod(id, 5) = 0;
"""

# Complaints over the year with the SLA targets' due times: old ones mostly closed, a few still
# open (overdue), recent ones at every step; three in four from a member.
COMPLAINTS = """
INSERT INTO surveys_complaint (id, reference, user_id, card_id, name, email, phone, category,
                               description, remedy_sought, receipt_number, photo, channel,
                               priority, status, assignee_id, created_at, first_response_due,
                               resolution_due, first_response_at, resolved_at, closed_at,
                               resolution_type, resolution_summary, goodwill_points, rating,
                               rating_comment, rated_at, escalated_first_response,
                               escalated_resolution, survey_response_id, disputed_line_id)
SELECT id, 'C-' || to_char(created_at AT TIME ZONE %(tz)s, 'YYYY') || '-' || lpad(id::text, 6, '0'),
       CASE WHEN member_n IS NOT NULL THEN %(user0)s + member_n END,
       CASE WHEN member_n IS NOT NULL THEN %(card0)s + member_n END,
       CASE WHEN member_n IS NOT NULL
            THEN (%(first_names)s::text[])[1 + mod(member_n, %(name_count)s)]
            ELSE 'Visitor ' || k END,
       CASE WHEN member_n IS NOT NULL THEN 'member' || member_n ELSE 'visitor' || k END
       || '@bench.invalid',
       '', (ARRAY['product', 'service', 'staff', 'billing', 'other'])[1 + mod(k, 5)],
       'The cake was dry and nobody asked how it was.',
       (ARRAY['replacement', 'refund', 'apology', 'other'])[1 + mod(k, 4)], '', '',
       (ARRAY['portal', 'public_form', 'in_store', 'phone'])[1 + mod(k * 3, 4)],
       priority, status,
       CASE WHEN status <> 'new' THEN (%(staff)s::bigint[])[1 + mod(k, %(staff_count)s)] END,
       created_at, first_response_due, resolution_due, first_response_at, resolved_at,
       closed_at,
       CASE WHEN resolved_at IS NOT NULL
            THEN (ARRAY['replacement', 'refund', 'apology', 'other'])[1 + mod(k * 7, 4)]
            ELSE '' END,
       CASE WHEN resolved_at IS NOT NULL THEN 'Sorted with the customer.' ELSE '' END,
       0,
       CASE WHEN closed_at IS NOT NULL AND mod(k, 3) = 0 THEN 1 + mod(k * 11, 5) END, '',
       CASE WHEN closed_at IS NOT NULL AND mod(k, 3) = 0 THEN closed_at END,
       false, false, NULL, NULL
FROM (
    SELECT t.*, CASE WHEN status IN ('resolved', 'closed')
                     THEN least(first_response_at + interval '1 hour' * rh * random(), %(now)s)
                END AS resolved_at
    FROM (
        SELECT t.*, CASE WHEN status <> 'new'
                         THEN least(created_at + interval '1 hour' * fr * (0.1 + random()),
                                    %(now)s)
                    END AS first_response_at
        FROM (
            SELECT b.*, sla.first_response_hours AS fr, sla.resolution_hours AS rh,
                   b.created_at + interval '1 hour' * sla.first_response_hours
                   AS first_response_due,
                   b.created_at + interval '1 hour' * sla.resolution_hours AS resolution_due,
                   CASE WHEN b.created_at < %(now)s - interval '14 days'
                        THEN CASE WHEN s < 0.85 THEN 'closed' WHEN s < 0.95 THEN 'resolved'
                                  ELSE 'in_progress' END
                        ELSE CASE WHEN s < 0.3 THEN 'new' WHEN s < 0.55 THEN 'acknowledged'
                                  WHEN s < 0.8 THEN 'in_progress' ELSE 'resolved' END
                   END AS status
            FROM (
                SELECT %(complaint0)s + k AS id, k,
                       %(now)s - interval '365 days' * random() AS created_at, random() AS s,
                       CASE WHEN p < 0.2 THEN 1 WHEN p < 0.75 THEN 2 WHEN p < 0.95 THEN 3
                            ELSE 4 END AS priority,
                       CASE WHEN mod(k, 4) <> 0
                            THEN 1 + mod(k * 7919, %(members)s) END AS member_n
                FROM (SELECT k, random() AS p FROM generate_series(1, %(complaints)s) AS k) AS x
            ) AS b
            JOIN surveys_slatarget AS sla ON sla.priority = b.priority
        ) AS t
    ) AS t
) AS t
CROSS JOIN LATERAL (
    SELECT CASE WHEN status = 'closed' THEN least(resolved_at + interval '3 days', %(now)s)
           END AS closed_at
) AS c
ORDER BY id
"""

TESTIMONIALS = """
INSERT INTO surveys_testimonial (user_id, rating, text, status, created_at, decided_at,
                                 decided_by_id)
SELECT %(user0)s + 1 + mod(k * 37, %(members)s), 3 + mod(k, 3),
       'Best cinnamon buns in town, and they remember my order.', status, created_at,
       CASE WHEN status <> 'pending'
            THEN least(created_at + interval '1 day', %(now)s) END,
       CASE WHEN status <> 'pending' THEN %(owner)s END
FROM (
    SELECT k, %(now)s - interval '365 days' * random() AS created_at,
           CASE mod(k, 10) WHEN 0 THEN 'rejected' WHEN 1 THEN 'pending' WHEN 2 THEN 'pending'
                ELSE 'approved' END AS status
    FROM generate_series(1, %(testimonials)s) AS k
) AS t
"""

EXPLICIT_IDS = [
    "accounts_user",
    "loyalty_card",
    "loyalty_pointtransaction",
    "rewards_redemption",
    "surveys_response",
    "surveys_complaint",
]


def card_numbers(members: int) -> list[str]:
    from loyalty import cardnumbers

    bodies = (f"5{n:010d}" for n in range(1, members + 1))
    return [body + cardnumbers.luhn_check_digit(body) for body in bodies]


def build(size: Size, base: Base, *, verbose: bool) -> dict[str, float]:
    """Load one size of data in one transaction, then VACUUM ANALYZE; returns step timings."""
    from django.conf import settings
    from django.contrib.contenttypes.models import ContentType
    from django.db import connection, transaction
    from django.utils import timezone

    from loyalty import demo
    from loyalty.models import Program, Store
    from rewards.models import Redemption

    program = Program.current()
    steps: dict[str, float] = {}

    def max_id(cursor, table: str) -> int:
        cursor.execute(f"SELECT coalesce(max(id), 0) FROM {table}")
        return cursor.fetchone()[0]

    with transaction.atomic(), connection.cursor() as cursor:

        def run(name: str, sql: str, params: dict | None = None) -> None:
            started = time.perf_counter()
            for statement in (part for part in sql.split(";\n") if part.strip()):
                cursor.execute(statement, params)
            steps[name] = steps.get(name, 0) + time.perf_counter() - started
            if verbose:
                print(f"    {name}: {steps[name]:.1f} s", flush=True)

        # Only this transaction loads without the request limits; requests keep them.
        cursor.execute("SET LOCAL statement_timeout = 0")
        cursor.execute("SET LOCAL work_mem = '256MB'")
        cursor.execute("SET LOCAL synchronous_commit = off")
        cursor.execute("SELECT setseed(0.2026)")
        params = {
            "now": timezone.now(),
            "tz": settings.TIME_ZONE,
            "members": size.members,
            "user0": max_id(cursor, "accounts_user"),
            "card0": max_id(cursor, "loyalty_card"),
            "line0": max_id(cursor, "loyalty_pointtransaction"),
            "redemption0": max_id(cursor, "rewards_redemption"),
            "response0": max_id(cursor, "surveys_response"),
            "complaint0": max_id(cursor, "surveys_complaint"),
            "ppu": program.points_per_unit,
            "step": program.pay_with_points_step,
            "signup": program.signup_bonus,
            "first_purchase": program.first_purchase_bonus,
            "birthday": program.birthday_bonus,
            "survey": base.survey_id,
            "survey_bonus": base.survey_bonus,
            "goodwill": program.goodwill_default,
            "adjustment": ADJUSTMENT_POINTS,
            "staff": base.staff_ids,
            "staff_count": len(base.staff_ids),
            "owner": base.owner.pk,
            "first_names": [first for first, _last in demo.MEMBERS],
            "last_names": [last for _first, last in demo.MEMBERS],
            "name_count": len(demo.MEMBERS),
            "surname_starts": SURNAME_STARTS,
            "surname_ends": SURNAME_ENDS,
            "stores": [Store.objects.get_or_create(name=name)[0].pk for name in demo.STORES],
            "prefixes": [demo.RECEIPT_PREFIXES[store] for store in demo.STORES],
            "redemption_type": ContentType.objects.get_for_model(Redemption).pk,
            "nps": base.nps_id,
            "csat": base.csat_id,
            "text": base.text_id,
            "responses": size.responses,
            "complaints": size.complaints,
            "testimonials": size.testimonials,
        }
        run("members", CARDS, params)
        run("ledger: fixed lines", LINES + ";\n" + FIXED_LINES, params)
        cursor.execute("SELECT count(*) FROM bench_line0")
        pool = size.lines - cursor.fetchone()[0]
        if pool < 0:
            raise BenchError(f"{size}: too few lines for {size.members:,} members")
        run("ledger: the rest", POOL_LINES, {**params, "pool": pool})
        run("ledger: tiers", LOOKUPS + EARNINGS, params)
        cursor.execute("DROP TABLE bench_line0")
        run("ledger: redemptions", REDEMPTIONS, params)
        cursor.execute("DROP TABLE bench_line1")
        run("ledger: refunds and expiry", REFUNDS_AND_EXPIRY, params)
        cursor.execute("DROP TABLE bench_line2")
        run("ledger: balances", LEDGER, params)
        cursor.execute("DROP TABLE bench_line3")
        run("insert users", USERS, params)
        run("insert cards", CARDS_INSERT, {**params, "numbers": card_numbers(size.members)})
        run("insert tier changes", TIER_CHANGES, params)
        run("insert vouchers", REDEMPTIONS_INSERT, params)
        run("insert ledger", LEDGER_INSERT, params)
        cursor.execute("SELECT count(*) FROM bench_ledger WHERE kind = 'purchase'")
        every = max(cursor.fetchone()[0] // size.responses, 1)
        run("insert survey answers", RESPONSES, {**params, "every": every})
        run("insert complaints", COMPLAINTS, params)
        run("insert testimonials", TESTIMONIALS, params)
        for table in EXPLICIT_IDS:
            cursor.execute(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                f"(SELECT coalesce(max(id), 1) FROM {table}))"
            )
    # Autovacuum may be off, and it would not have run yet: statistics and the visibility map
    # as a database that has been live for a while has them.
    started = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute("VACUUM (ANALYZE)")
    steps["vacuum analyze"] = time.perf_counter() - started
    return steps


def check(size: Size) -> str:
    """The ledger adds up (check_ledger), every balance_after is the running sum, no balance
    went below zero, and the line count is the size asked for."""
    from django.core.management import call_command
    from django.db import connection, transaction

    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL statement_timeout = 0")
        out = io.StringIO()
        call_command("check_ledger", stdout=out, stderr=out)  # raises CommandError if not
        cursor.execute(
            """
            SELECT count(*), count(*) FILTER (WHERE balance_after <> running),
                   count(*) FILTER (WHERE balance_after < 0)
            FROM (SELECT balance_after,
                         sum(points) OVER (PARTITION BY card_id ORDER BY created_at, id
                                           ROWS UNBOUNDED PRECEDING) AS running
                  FROM loyalty_pointtransaction) AS l
            """
        )
        lines, wrong, negative = cursor.fetchone()
    if wrong or negative or lines != size.lines:
        raise BenchError(
            f"{size}: {lines:,} lines, {wrong} with a wrong running balance, {negative} below 0"
        )
    return out.getvalue().strip()


def describe() -> str:
    from django.db.models import Count

    from loyalty.models import Card, PointTransaction, TierChange
    from rewards.models import Redemption
    from surveys.models import Complaint, Response

    tiers = Card.objects.values("tier__name").annotate(n=Count("pk")).order_by("tier__threshold")
    kinds = PointTransaction.objects.values("kind").annotate(n=Count("pk")).order_by("-n", "kind")
    statuses = Redemption.objects.values("status").annotate(n=Count("pk")).order_by("-n")
    total = sum(row["n"] for row in kinds)
    return (
        f"  cards: {Card.objects.count():,} ("
        + ", ".join(f"{row['tier__name']} {row['n']:,}" for row in tiers)
        + f"), {TierChange.objects.count():,} tier changes\n"
        + "  lines: "
        + ", ".join(f"{row['kind']} {row['n']:,} ({row['n'] / total:.1%})" for row in kinds)
        + f"\n  vouchers: {Redemption.objects.count():,} ("
        + ", ".join(f"{row['status']} {row['n']:,}" for row in statuses)
        + f"), survey responses: {Response.objects.count():,}, complaints: "
        f"{Complaint.objects.count():,} ({Complaint.objects.open().count():,} open, "
        f"{Complaint.objects.overdue().count():,} overdue)"
    )


# Measuring. --------------------------------------------------------------------------------


def measure(client, period: int, *, runs: int, warmup: int) -> Result:
    """The median of `runs` requests after `warmup` untimed ones; the cache is cleared before
    each, so a dashboard that caches its figures is timed computing them."""
    from django.core.cache import cache
    from django.db import connection

    def get():
        cache.clear()
        response = client.get(URL, {"period": period})
        if response.status_code != 200:
            raise BenchError(f"GET {URL}?period={period} answered {response.status_code}")
        return response

    for _ in range(warmup):
        get()
    timed: list[tuple[float, str]] = []

    def timing(execute, sql, params, many, context):
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            timed.append((time.perf_counter() - started, sql))

    with connection.execute_wrapper(timing):
        get()
    counts: list[int] = []

    def count(execute, sql, params, many, context):
        counts[-1] += 1
        return execute(sql, params, many, context)

    seconds = []
    with connection.execute_wrapper(count):
        for _ in range(runs):
            counts.append(0)
            started = time.perf_counter()
            get()
            seconds.append(time.perf_counter() - started)
    if len(set(counts)) > 1:
        print(f"  note: the query count varied between requests: {sorted(set(counts))}")
    return Result(
        period,
        statistics.median(seconds) * 1000,
        counts[0] if counts else len(timed),
        sorted(timed, reverse=True),
    )


def owner_client(base: Base):
    from django.test import Client

    client = Client()
    client.force_login(base.owner)
    return client


def milliseconds(value: float) -> str:
    return f"{value:,.0f} ms" if value >= 10 else f"{value:.1f} ms"


def what_is_measured() -> str:
    import importlib.util

    if importlib.util.find_spec("suki.dashboard") is None:
        return "the plain admin index (suki/dashboard.py is not there yet)"
    return "the owner dashboard"


def header(args) -> None:
    import django
    from django.conf import settings
    from django.db import connection

    version = connection.cursor().connection.info.server_version
    print(
        f"Suki owner dashboard: Python {platform.python_version()}, Django "
        f"{django.get_version()}, PostgreSQL {version // 10000}.{version % 10000}, "
        f"DEBUG={settings.DEBUG}; {args.runs} timed requests after {args.warmup} untimed; "
        f"measuring {what_is_measured()}",
        flush=True,
    )


def run_size(size: Size, server: str, workdir: Path, args, *, first: bool) -> dict[int, Result]:
    with bench_database(server) as database_url:
        started = time.perf_counter()
        use_database(database_url, workdir)
        if first:
            header(args)
        base = seed_base()
        steps = build(size, base, verbose=args.verbose)
        built = time.perf_counter() - started
        started = time.perf_counter()
        verdict = check(size)
        checked = time.perf_counter() - started
        print(
            f"{size} ({size.members:,} members): built in {built:.1f} s "
            f"(ledger SQL {sum(v for k, v in steps.items() if k.startswith('ledger')):.1f} s, "
            f"inserts {sum(v for k, v in steps.items() if k.startswith('insert')):.1f} s, "
            f"VACUUM ANALYZE {steps['vacuum analyze']:.1f} s); "
            f"check_ledger: {verdict} ({checked:.1f} s)",
            flush=True,
        )
        print(describe(), flush=True)
        # The nightly rollup the dashboard reads (run_daily's last step).
        from django.utils import timezone

        from suki import dashboard

        started = time.perf_counter()
        dashboard.write_snapshots(timezone.localdate())
        print(
            f"  daily rollup (run_daily's dashboard step, 3 periods): "
            f"{time.perf_counter() - started:.1f} s",
            flush=True,
        )
        client = owner_client(base)
        results = {}
        for period in args.periods:
            result = measure(client, period, runs=args.runs, warmup=args.warmup)
            results[period] = result
            print(
                f"  GET {URL}?period={period}: {milliseconds(result.milliseconds)} "
                f"({result.queries} queries)",
                flush=True,
            )
            for seconds, sql in result.slowest[: 10 if args.verbose else 3]:
                print(f"    {milliseconds(seconds * 1000):>9}  {' '.join(sql.split())[:100]}")
        return results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--sizes",
        type=int,
        nargs="+",
        default=list(DEFAULT_SIZES),
        metavar="LINES",
        help="ledger lines per database, one member per 20 (default: 20000 2000000); "
        "the ratio compares the largest with the smallest",
    )
    parser.add_argument("--runs", type=int, default=10, help="timed requests, median (10)")
    parser.add_argument("--warmup", type=int, default=3, help="untimed requests first (3)")
    parser.add_argument(
        "--periods", type=int, nargs="+", default=[30, 365], help="?period= values (30 365)"
    )
    parser.add_argument(
        "--database-url",
        default=DEFAULT_SERVER,
        help=f"a PostgreSQL server (default {DEFAULT_SERVER}); a database of its own is created "
        "there for each size and dropped afterwards",
    )
    parser.add_argument(
        "--verbose", action="store_true", help="print the build steps and ten slowest queries"
    )
    args = parser.parse_args(argv)
    if not args.database_url.startswith(("postgres://", "postgresql://", "pgsql://")):
        parser.error(
            "the dashboard benchmark needs PostgreSQL: its data is generated in PostgreSQL's SQL "
            "(generate_series, window functions) and two million lines are not a SQLite "
            f"workload; pass --database-url {DEFAULT_SERVER} or another server"
        )
    if args.runs < 1 or any(lines < 1 for lines in args.sizes):
        parser.error("--runs and --sizes must be positive")
    sizes = [Size(lines) for lines in sorted(set(args.sizes))]

    # A kill drops the databases too, like Ctrl-C.
    signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(128 + signum))
    started = time.perf_counter()
    workdir = Path(tempfile.mkdtemp(prefix="suki-bench-dashboard-"))
    results: dict[Size, dict[int, Result]] = {}
    try:
        for number, size in enumerate(sizes):
            results[size] = run_size(size, args.database_url, workdir, args, first=number == 0)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)

    print()
    smallest, largest = sizes[0], sizes[-1]
    width = len(f"dashboard ({max(args.periods)} days)")
    met = True
    for period in args.periods:
        line = f"{f'dashboard ({period} days)':<{width}}"
        for size in sizes:
            result = results[size][period]
            line += f"   {size}: {milliseconds(result.milliseconds)} ({result.queries} queries)"
        if largest != smallest:
            small, large = results[smallest][period], results[largest][period]
            ratio = large.milliseconds / small.milliseconds
            line += f"   ratio {ratio:.1f}"
            if ratio > RATIO_TARGET or large.queries != small.queries:
                met = False
        print(line)
    if largest != smallest:
        print(
            f"Target at {largest.lines / smallest.lines:g} times the lines: a ratio of at most "
            f"{RATIO_TARGET} and the same queries: {'met' if met else 'NOT met'}."
        )
    print(f"Whole run: {time.perf_counter() - started:.0f} s")
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        print("Interrupted; the bench databases are dropped.", file=sys.stderr)
        sys.exit(130)
