from migration.models import ImportBatch, ImportRow


def import_panel_context(request, membership) -> dict:
    """The member card shows how the import decided about this person, and why."""
    rows = (
        ImportRow.objects.filter(club=request.club, person=membership.person, sheet="members")
        .exclude(batch__status=ImportBatch.Status.ROLLED_BACK)
        .select_related("batch")
        .order_by("-batch__created_at")[:5]
    )
    return {"rows": rows}
