"""Template context: the LATIHAN banner on every page of the command post while an exercise runs,
and the phase to come for the phase banner."""

from django.utils import timezone
from django.utils.functional import SimpleLazyObject

from core.access import OPERATIONAL, user_has_role
from operations.models import ElectionPhase, ExerciseRun


def exercise_banner(request) -> dict:
    """The running exercise, for komando and intel only (the liaison never learns of one)."""
    user = getattr(request, "user", None)
    if user is None or not user_has_role(user, OPERATIONAL):
        return {}
    running = (
        ExerciseRun.objects.filter(status=ExerciseRun.Status.RUNNING)
        .select_related("scenario")
        .first()
    )
    return {"exercise_running": running}


def _phase_next():
    return ElectionPhase.objects.filter(starts_at__gt=timezone.now()).order_by("starts_at").first()


def phase_next(request) -> dict:
    """The election phase to come, for the phase banner between two phases (the night before
    polling day opens at 07:00): read only when a page shows the banner outside every phase."""
    return {"phase_next": SimpleLazyObject(_phase_next)}
