"""Fees, agreements, invoice runs, invoices, credit notes and payments (SPEC §6)."""
