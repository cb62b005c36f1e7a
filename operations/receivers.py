"""What operations does when personnel announces an event (personnel/signals.py); connected in
operations/apps.py."""

from django.dispatch import receiver

from operations.models import Assignment
from personnel.signals import contingent_released


@receiver(contingent_released, dispatch_uid="operations.assignments_end_on_release")
def assignments_end_on_release(*, contingent, **_kwargs) -> int:
    """A released contingent's officers leave every active assignment; how many."""
    return Assignment.objects.filter(
        officer__contingent=contingent, status=Assignment.Status.ACTIVE
    ).update(status=Assignment.Status.CANCELLED)
