"""Pseudonymous participants: the one place that decides whose identity a viewer sees.

A participant with an `alias` (a partnership's anonymous side, e.g. "The
publisher of the call") appears under that alias to everyone but themselves:
no name, user id, email, avatar, profile link or organisation of theirs
reaches another person, their own side's colleagues included (they know who
their side is; the rule stays one line). A person always sees their own
messages as their own.

Messages carry `sender_alias`, stamped when they are stored, so what was said
anonymously stays anonymous after the side reveals itself
(services.conversation_reveal clears the participants' aliases only: later
messages, and the lists of people, show real names).

Every path that shows people or senders to someone goes through here:
`sender_shown` (payloads, pages, search, emails, notifications), `people`
(participant lists), `typing_identity` (typing events).
"""

from collections.abc import Iterable
from dataclasses import dataclass

from messaging.models import Message, Participant


def masks(message: Message, viewer_id: int | None) -> bool:
    """True when `viewer_id` may not know who sent `message`."""
    return bool(message.sender_alias) and (viewer_id is None or message.sender_id != viewer_id)


def sender_shown(message: Message, viewer_id: int | None) -> tuple[int | None, str]:
    """(sender id, sender name) as `viewer_id` may see them; (None, alias) when masked.

    The masked branch never touches `message.sender`: no query, nothing to leak.
    """
    if masks(message, viewer_id):
        return None, message.sender_alias
    return message.sender_id, str(message.sender) if message.sender_id else ""


def stamp(messages: Iterable[Message], viewer_id: int | None) -> list[Message]:
    """Sets `shown_sender_id` and `shown_sender_name` on each message for templates."""
    messages = list(messages)
    for m in messages:
        m.shown_sender_id, m.shown_sender_name = sender_shown(m, viewer_id)
    return messages


@dataclass(frozen=True)
class Person:
    """Someone in a conversation as one viewer may see them.

    A real person has `pk`; a side under an alias is one entry with `pk` None
    (however many people it holds), and `includes_viewer` when it is the
    viewer's own side.
    """

    pk: int | None
    name: str
    alias: str = ""
    includes_viewer: bool = False

    def __str__(self) -> str:
        return self.name


def people(participants: Iterable[Participant], viewer_id: int | None) -> list[Person]:
    """The active participants as `viewer_id` may see them, in the order given, each
    alias once (where its first member stands). `participants` come with their user."""
    entries: list[Person | str] = []
    sides: dict[str, bool] = {}  # alias -> whether the viewer is on that side
    for p in participants:
        if not p.alias:
            entries.append(Person(pk=p.user_id, name=str(p.user)))
            continue
        if p.alias not in sides:
            entries.append(p.alias)
        sides[p.alias] = sides.get(p.alias, False) or p.user_id == viewer_id
    return [
        Person(pk=None, name=e, alias=e, includes_viewer=sides[e]) if isinstance(e, str) else e
        for e in entries
    ]


def typing_identity(*, user, alias: str) -> tuple[int | None, str]:
    """(user, name) for a typing event from `user`, who has `alias` in that conversation."""
    return (None, alias) if alias else (user.pk, str(user))
