"""The invitations app's panels on the member card and Min side (``members.panels``,
``members.minside``): the approval of a membership sent for approval (R-REG-7 (i)) and
the consents a person has given (R-SEC-6). Registered from ``InvitationsConfig.ready()``."""

from django.utils.translation import gettext_lazy as _

from invitations.services import approval, consents, new_send_key


def approval_card_context(request, membership) -> dict | None:
    """The approve/reject forms while the membership waits for approval, afterwards the
    decision made; nothing for a membership that was never sent for approval."""
    state = approval.pending(membership)
    if not state.waiting and state.last is None:
        return None
    return {
        "membership": membership,
        "state": state,
        "approve_key": new_send_key(),
        "reject_key": new_send_key(),
    }


def consents_card_context(request, membership) -> dict | None:
    given = consents.consents_of(membership.person, club=request.club)
    return {"consents": given} if given else None


def consents_min_side_context(request, person) -> dict | None:
    given = consents.consents_of(person)
    return {"consents": given, "person": person} if given else None


def register_panels() -> None:
    from members.minside import Panel as MinSidePanel
    from members.minside import register_min_side_panel
    from members.panels import Panel, register_member_card_panel

    def admins(access) -> bool:
        return access.is_admin

    register_member_card_panel(
        Panel(
            "approval",
            _("Approval"),
            "invitations/panels/approval.html",
            approval_card_context,
            order=11,
            visible=admins,
        )
    )
    register_member_card_panel(
        Panel(
            "consents",
            _("Consents"),
            "invitations/panels/consents.html",
            consents_card_context,
            order=85,
            visible=admins,
        )
    )
    register_min_side_panel(
        MinSidePanel(
            "consents",
            _("Consents"),
            "invitations/min_side/consents.html",
            consents_min_side_context,
            order=80,
        )
    )
