from django.urls import path

from members.views import card, create, dashboard, edit, groups, overview, settings

app_name = "members"

# Every pattern here sits under /club/<slug:club_slug>/ (ims/urls.py). Object ids are
# named <kind>_id so the isolation test knows which of another club's objects to try.
urlpatterns = [
    path("", dashboard.dashboard, name="dashboard"),
    path("members/", overview.member_list, name="list"),
    path("members/export.<str:fmt>", overview.member_export, name="export"),
    path("members/new/", create.create_member, name="create"),
    path("members/new/attach/", create.attach_member, name="attach"),
    path("members/new/person/", create.create_person, name="create_person"),
    path("members/<int:membership_id>/", card.member_card, name="card"),
    path(
        "members/<int:membership_id>/national-id/",
        card.reveal_national_id,
        name="reveal_national_id",
    ),
    path("members/<int:membership_id>/status/", card.change_status, name="change_status"),
    path("members/<int:membership_id>/edit/", edit.edit_member, name="edit"),
    path("members/<int:membership_id>/guardian/", edit.add_guardian, name="add_guardian"),
    path("groups/", groups.group_list, name="groups"),
    path("groups/<int:group_id>/", groups.group_detail, name="group"),
    path("settings/", settings.club_settings, name="settings"),
]
