from django.urls import path

from messaging import views

app_name = "messaging"

urlpatterns = [
    path("messages/", views.inbox, name="inbox"),
    path("messages/start/", views.start, name="start"),
    path("messages/contact/<slug:slug>/", views.contact_organisation, name="contact-organisation"),
    path("messages/<int:conversation_id>/", views.conversation, name="conversation"),
    path("messages/<int:conversation_id>/send/", views.send, name="send"),
    path("messages/<int:conversation_id>/participants/", views.participants, name="participants"),
    path(
        "messages/<int:conversation_id>/<int:message_id>/<str:action>/",
        views.message_action,
        name="message-action",
    ),
    path("people/<int:user_id>/block/", views.block, name="block"),
    path("notifications/", views.notifications, name="notifications"),
    path("notifications/read/", views.notifications_read, name="notifications-read"),
    path("accounts/notifications/", views.notification_preferences, name="notification-preferences"),
]
