"""Events personnel announces to the apps above it (they listen; personnel imports none of them).

- `contingent_released(sender=BkoContingent, contingent=, by=)`: a BKO contingent was sent home
  (inside the release's transaction). A receiver returns how many of the contingent's rows it
  ended (operations: the officers' active assignments, operations/receivers.py).
"""

from django.dispatch import Signal

contingent_released = Signal()
