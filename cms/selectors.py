"""What the CMS pages read from the rest of the platform."""

from community import selectors as community_selectors
from community.models import Organisation


def home_figures(*, viewer) -> dict:
    totals = community_selectors.directory_totals()
    latest = list(
        community_selectors.organisation_cards(
            community_selectors.organisation_list_visible(viewer=viewer).filter(claimed=True).order_by("-created_at")
        )[:6]
    )
    kinds = dict(Organisation.Kind.choices)
    return {"totals": totals, "latest_organisations": latest, "kinds": kinds}
