"""What the partnership pages share: reading a search from the address, dressing calls for cards, refusals."""

import datetime as dt
from types import SimpleNamespace
from urllib.parse import urlencode

from django.contrib import messages as flash
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from community.errors import ServiceError
from partnerships.models import Call, Response
from partnerships.selectors import CallQuery, Viewer, shown_organisation

STATES = ("open", "closed", "all")
MAX_VALUES = 60


def viewer_of(request) -> Viewer:
    """One Viewer per request: its organisations and managed organisations are read once."""
    if not hasattr(request, "_call_viewer"):
        request._call_viewer = Viewer(request.user)
    return request._call_viewer


def _values(params, name: str, *, upper: bool = False) -> list[str]:
    values = []
    for value in params.getlist(name)[:MAX_VALUES]:
        value = value.strip()[:80]
        if value and value not in values:
            values.append(value.upper() if upper else value)
    return values


def parse_query(params) -> CallQuery:
    """The list's search from the address; unknown values are dropped, never an error."""
    closing_by = None
    if params.get("closing_by"):
        try:
            closing_by = dt.date.fromisoformat(params["closing_by"][:10])
        except ValueError:
            closing_by = None
    state = params.get("state", "open")
    return CallQuery(
        q=params.get("q", "")[:200].strip(),
        kind=[k for k in _values(params, "kind") if k in Call.Kind.values],
        stage=_values(params, "stage"),
        field=_values(params, "field"),
        country=[c for c in _values(params, "country", upper=True) if len(c) == 2 and c.isalpha()],
        state=state if state in STATES else "open",
        deadline_before=closing_by,
    )


def query_params(query: CallQuery) -> list[tuple[str, str]]:
    """The search as address parameters, in a stable order (pagination and links keep it)."""
    params = [("q", query.q)] if query.q else []
    for name in ("kind", "stage", "field", "country"):
        params += [(name, v) for v in getattr(query, name)]
    if query.state != "open":
        params.append(("state", query.state))
    if query.deadline_before:
        params.append(("closing_by", query.deadline_before.isoformat()))
    return params


def saved_query_string(saved_query: dict) -> str:
    """A saved search's filters as the list's address parameters."""
    params = [("q", saved_query["q"])] if saved_query.get("q") else []
    for name in ("kind", "stage", "field", "country"):
        values = saved_query.get(name) or []
        params += [(name, v) for v in ([values] if isinstance(values, str) else values)]
    return urlencode(params)


def closing(deadline, now=None) -> SimpleNamespace:
    """How soon a call closes, in the viewer's calendar days (their time zone is active)."""
    now = now or timezone.now()
    if deadline <= now:
        return SimpleNamespace(past=True, days=0, soon=False)
    days = (timezone.localdate(deadline) - timezone.localdate(now)).days
    return SimpleNamespace(past=False, days=days, soon=days <= 3)


def dress(calls, viewer: Viewer):
    """Sets what a card shows on each call: the organisation this viewer may know, and the countdown."""
    now = timezone.now()
    for call in calls:
        call.shown_org = shown_organisation(call, viewer)
        call.closes = closing(call.deadline, now)
    return calls


def label_events(events):
    """Each step of a response's history with its status named for people."""
    labels = dict(Response.Status.choices)
    for event in events:
        event.to_label = str(labels.get(event.to_status, event.to_status)).lower()
    return events


def facet_rows(values) -> list[SimpleNamespace]:
    """Facet values as the objects community's facet_items tag reads."""
    return [SimpleNamespace(**v) for v in values]


def error_text(exc) -> str:
    if isinstance(exc, ServiceError):
        return exc.message
    if isinstance(exc, ValidationError):
        return " ".join(exc.messages)
    return str(exc)


def add_form_error(form, exc) -> None:
    """A service's refusal as an error on the form (on the field it names, when it does)."""
    if isinstance(exc, ValidationError) and hasattr(exc, "error_dict"):
        for name, errors in exc.message_dict.items():
            form.add_error(name if name in form.fields else None, errors)
    else:
        form.add_error(None, error_text(exc))


class refusals_flashed:
    """A service's refusal becomes a message on the next page; `.refused` tells whether one came."""

    def __init__(self, request):
        self.request = request
        self.refused = False

    def __enter__(self):
        return self

    def __exit__(self, kind, exc, tb):
        if not isinstance(exc, ServiceError | PermissionDenied | ValidationError):
            return False
        flash.error(self.request, error_text(exc))
        self.refused = True
        return True
