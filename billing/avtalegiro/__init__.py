"""AvtaleGiro (R-BIL-7, R-ACT-6, DOMAIN.md §5): mandates (``mandates``), the claim and
cancellation files for Nets (``claims``), and the mandates an import brings
(``importing``). See each module's doc; the mandate KID scheme and how the OCR import
matches AvtaleGiro debits are in ``mandates``."""

from .claims import (
    billing_settings,
    cancel_claim,
    claim_for_debit,
    claimable,
    lead_days,
    send_unclaimable_as_invoices,
    unclaimable,
    write_claims,
)
from .importing import mandates_for_members, mandates_from_import
from .mandates import (
    AvtaleGiroError,
    active_mandate,
    cancel_mandate,
    club_mandates,
    follow_mandate,
    is_mandate_kid,
    mandate_kid,
    mandated_payers,
    register_mandate,
)

__all__ = [
    "AvtaleGiroError",
    "active_mandate",
    "billing_settings",
    "cancel_claim",
    "cancel_mandate",
    "claim_for_debit",
    "claimable",
    "club_mandates",
    "follow_mandate",
    "is_mandate_kid",
    "lead_days",
    "mandate_kid",
    "mandated_payers",
    "mandates_for_members",
    "mandates_from_import",
    "register_mandate",
    "send_unclaimable_as_invoices",
    "unclaimable",
    "write_claims",
]
