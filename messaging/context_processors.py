from messaging import selectors


def counts(request):
    """The navigation's live badges start from these; the gateway keeps them current."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {
        "unread_messages": selectors.unread_total(user=user),
        "unread_notifications": selectors.notifications_unread_count(user=user),
    }
