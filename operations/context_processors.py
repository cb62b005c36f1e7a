"""Template context: the LATIHAN banner on every page of the command post while an exercise runs."""

from core.access import OPERATIONAL, user_has_role
from operations.models import ExerciseRun


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
