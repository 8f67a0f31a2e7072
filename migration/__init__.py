"""Import of federation extracts and the data-quality report (SPEC §4)."""
