"""The response workflow: which moves exist, and who makes them.

    submitted --> shortlisted --> in-discussion --> accepted
        |  \\________________________/^     |
        +--------------+---------------+----+--> declined      (the call's managers)
        +--------------+---------------+-------> withdrawn     (the responder)

accepted, declined and withdrawn are final.
"""

from django.utils.translation import gettext_lazy as _

from partnerships.models import Response

R = Response.Status
FINAL = {R.ACCEPTED, R.DECLINED, R.WITHDRAWN}

# Moves the call's managers make.
OWNER_MOVES: dict[str, set[str]] = {
    R.SUBMITTED: {R.SHORTLISTED, R.IN_DISCUSSION, R.DECLINED},
    R.SHORTLISTED: {R.IN_DISCUSSION, R.DECLINED},
    R.IN_DISCUSSION: {R.ACCEPTED, R.DECLINED},
}
# The responder may only withdraw, from any state that is not final.
RESPONDER_MOVES: dict[str, set[str]] = {s: {R.WITHDRAWN} for s in (R.SUBMITTED, R.SHORTLISTED, R.IN_DISCUSSION)}


def why_not(current: str, target: str, *, as_owner: bool) -> str:
    """Why the move is refused, or "" when it is allowed."""
    moves = OWNER_MOVES if as_owner else RESPONDER_MOVES
    if target not in R.values:
        return str(_("Unknown status “%(status)s”.") % {"status": target})
    if target in moves.get(current, set()):
        return ""
    if current in FINAL:
        return str(_("This response is already %(status)s: that is final.") % {"status": R(current).label.lower()})
    if current == target:
        return str(_("This response is already %(status)s.") % {"status": R(current).label.lower()})
    if target == R.ACCEPTED:
        return str(_("Discuss first: only a response in discussion can be accepted."))
    if target == R.WITHDRAWN:
        return str(_("Only the responding organisation withdraws its response."))
    if not as_owner:
        return str(_("A responder may only withdraw."))
    return str(
        _("A response cannot go from %(current)s to %(target)s.")
        % {"current": R(current).label.lower(), "target": R(target).label.lower()}
    )
