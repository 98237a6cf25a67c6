"""Apply the withdrawal-and-closing rule (privacy.policy) to rooms stopped before it existed.

Until now other members kept reading a room after its consent was withdrawn or it was closed,
and open invitations stayed open. From now on the services end those places when it happens;
this ends them for rooms that were already closed, purged or withdrawn, so that nobody keeps
more than the rule allows. The coordinator's own membership is untouched. Rooms that an earlier
withdrawal closed stay closed. Not reversible: the ended places are not restored.
"""

from django.db import migrations
from django.db.models import Q
from django.utils import timezone


def end_places_in_stopped_rooms(apps, schema_editor):
    CaseRoom = apps.get_model("privacy", "CaseRoom")
    CaseMember = apps.get_model("privacy", "CaseMember")
    stopped = CaseRoom.objects.filter(
        Q(status="closed") | Q(purged_at__isnull=False) | Q(content_stopped_at__isnull=False)
    )
    CaseMember.objects.filter(room__in=stopped, status__in=["active", "invited"]).exclude(
        role="coordinator"
    ).update(status="removed", removed_at=timezone.now())


class Migration(migrations.Migration):
    dependencies = [("privacy", "0004_case_member_coverage")]

    operations = [
        migrations.RunPython(end_places_in_stopped_rooms, migrations.RunPython.noop),
    ]
