"""The command post's picture and drills (see command/apps.py and docs/architecture.md)."""
