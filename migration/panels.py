from migration.models import ImportBatch, ImportRow


def import_panel_context(request, membership) -> dict | None:
    """The member card shows how the import decided about this person, and why; nothing
    for a member who came another way."""
    rows = (
        ImportRow.objects.filter(club=request.club, person=membership.person, sheet="members")
        .exclude(batch__status=ImportBatch.Status.ROLLED_BACK)
        .select_related("batch")
        .order_by("-batch__created_at")[:5]
    )
    rows = list(rows)
    return {"rows": rows} if rows else None
