"""Expected headcounts and an onboarding history, so the dashboard's reach section has a story.

The demo's professionals are all created today, while their activity goes back a year; here
their accounts and memberships are dated back to a believable onboarding moment, never after
their first activity, and each organisation gets the number of professionals the programme
manager expects of it in the area. Deterministic, so running it twice changes nothing.
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import Min
from django.utils import timezone

from accounts.models import User
from channels_app.models import Message
from directory.models import Membership, Organisation
from insights.models import ExpectedHeadcount
from insights.quarters import Quarter
from knowledge.models import ArticleRead, Registration
from privacy.models import CaseMember

#: organisation slug → professionals expected in the area when the pilot started, and (for a
#: few) the number revised in the current quarter
EXPECTED = {
    "hp-kasteelpark": (7, None),
    "gc-mijnzicht": (9, 10),
    "hp-heidezicht": (6, None),
    "wijkverpleging-parkstad": (8, None),
    "ggz-wijkteam-noord": (6, None),
    "apotheek-slotplein": (4, None),
    "welzijn-samen": (9, None),
    "sociaal-wijkteam-noord": (8, 7),
    "schuldhulp-parkstad": (6, None),
    "jeugd-gezin-noord": (7, None),
    "ouderen-mijnlamp": (6, None),
    "fysio-het-anker": (4, None),
}

#: how the professionals came on board over the history's quarters, oldest first
ONBOARDING = [40, 25, 18, 10, 7]


def _first_activity() -> dict[int, datetime]:
    firsts: dict[int, datetime] = {}
    for rows in (
        Message.objects.values("author_id").annotate(first=Min("created_at")),
        ArticleRead.objects.values("user_id").annotate(first=Min("read_at")),
        Registration.objects.values("user_id").annotate(first=Min("queued_at")),
        CaseMember.objects.filter(joined_at__isnull=False)
        .values("user_id")
        .annotate(first=Min("joined_at")),
    ):
        for row in rows.order_by():
            user_id = row.get("author_id") or row.get("user_id")
            if user_id not in firsts or row["first"] < firsts[user_id]:
                firsts[user_id] = row["first"]
    return firsts


@transaction.atomic
def seed(now: datetime | None = None) -> dict[str, int]:
    now = now or timezone.now()
    quarters = [Quarter.of(now)]
    while len(quarters) < len(ONBOARDING):
        quarters.insert(0, quarters[0].previous())
    rng = random.Random(2027)
    firsts = _first_activity()
    backdated = 0
    users = User.objects.filter(professional__isnull=False).order_by("pk")
    for user in users:
        quarter = rng.choices(quarters, weights=ONBOARDING)[0]
        joined = quarter.start + timedelta(days=rng.randint(3, 60), hours=rng.randint(8, 16))
        first = firsts.get(user.pk)
        if first is not None:
            joined = min(joined, first - timedelta(days=2))
        joined = min(joined, now - timedelta(days=1))
        User.objects.filter(pk=user.pk).update(date_joined=joined)
        verified = joined + timedelta(days=1)
        Membership.objects.filter(professional__user=user).update(created_at=joined)
        Membership.objects.filter(professional__user=user, verified=True).update(
            verified_at=verified
        )
        backdated += 1
    organisations = {o.slug: o for o in Organisation.objects.filter(slug__in=EXPECTED)}
    expected = 0
    for slug, (start, revised) in EXPECTED.items():
        if slug not in organisations:
            continue
        for quarter, number in ((quarters[0], start), (quarters[-1], revised)):
            if number is not None:
                ExpectedHeadcount.objects.update_or_create(
                    organisation=organisations[slug],
                    quarter=str(quarter),
                    defaults={"number": number},
                )
                expected += 1
    return {"onboarding dates": backdated, "expected headcounts": expected}
