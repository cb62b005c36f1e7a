"""Incidents and alerts are worked in Sispam's own pages, under their own access rules; the admin
only shows them read-only to a superuser for support."""
