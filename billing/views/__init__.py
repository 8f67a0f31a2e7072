"""The billing pages (issue 6 points 9 and 10): club admins' pages under
``/club/<slug>/billing/`` and the member's own under ``/min-side/faktura/``. Thin: they
ask ``members.permissions``, read through ``billing.queries`` and act through
``billing.services``."""
