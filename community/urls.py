from django.urls import path

from community.views import directory, maps, organisations, people

app_name = "community"

urlpatterns = [
    path("directory/", directory.directory, name="directory"),
    path("value-chain/", directory.value_chain, name="value-chain"),
    path("map/", maps.europe_map, name="map"),
    path("coverage/", maps.coverage, name="coverage"),
    path("organisations/new/", organisations.organisation_create, name="organisation-create"),
    path("organisations/<slug:slug>/", organisations.organisation_detail, name="organisation-detail"),
    path("organisations/<slug:slug>/edit/", organisations.organisation_edit, name="organisation-edit"),
    path("organisations/<slug:slug>/members/", organisations.organisation_members, name="organisation-members"),
    path(
        "organisations/<slug:slug>/members/<int:user_id>/role/",
        organisations.organisation_member_role,
        name="organisation-member-role",
    ),
    path(
        "organisations/<slug:slug>/members/<int:user_id>/remove/",
        organisations.organisation_member_remove,
        name="organisation-member-remove",
    ),
    path("organisations/<slug:slug>/leave/", organisations.organisation_leave, name="organisation-leave"),
    path("organisations/<slug:slug>/listed/", organisations.organisation_listed, name="organisation-listed"),
    path("organisations/<slug:slug>/claim/", organisations.organisation_claim, name="organisation-claim"),
    path("people/search/", people.people_search, name="people-search"),
    path("people/<int:user_id>/", people.profile_detail, name="profile-detail"),
    path("accounts/profile/", people.profile_edit, name="profile-edit"),
    path("accounts/organisations/", people.my_organisations, name="my-organisations"),
]
