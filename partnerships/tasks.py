"""Background work of partnership calls (Django's tasks framework)."""

from django.tasks import task


@task()
def expire_call(call_id: int) -> int:
    """Runs at a call's deadline; does nothing if the call was renewed or closed meanwhile."""
    from partnerships.services import expire_one

    return expire_one(call_id)


@task()
def expire_due_calls() -> int:
    from partnerships import services

    return services.expire_due_calls()


@task()
def notify_saved_searches(call_id: int) -> int:
    from partnerships.services import notify_matching_searches

    return notify_matching_searches(call_id)
