"""Factories for plain rows; anything with permissions is built through the services."""

import itertools

import factory
from allauth.account.models import EmailAddress

from community import services
from community.models import Organisation, User


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"person{n}@example.org")
    display_name = factory.Faker("name")
    password = factory.PostGenerationMethodCall("set_password", "correct horse battery staple")

    @factory.post_generation
    def verified(self, create, extracted, **kwargs):
        """Verified email by default; `verified=False` for an unverified account."""
        self.save()
        if create and extracted is not False:
            EmailAddress.objects.update_or_create(
                user=self, email=self.email, defaults={"verified": True, "primary": True}
            )


class OrganisationFactory(factory.django.DjangoModelFactory):
    """An imported organisation: unclaimed, nobody holds permissions on it."""

    class Meta:
        model = Organisation

    name = factory.Sequence(lambda n: f"Biologics Organisation {n}")
    slug = factory.Sequence(lambda n: f"biologics-organisation-{n}")
    kind = Organisation.Kind.COMPANY
    country = "FR"
    city = "Lyon"
    claimed = False
    source = "test"


_counter = itertools.count(1)


def organisation_with_admin(admin: User | None = None, **kwargs) -> Organisation:
    """An organisation created through the service, so its admin holds the real permissions."""
    admin = admin or UserFactory()
    kwargs.setdefault("name", f"Member Biotech {next(_counter)}")
    kwargs.setdefault("country", "DE")
    return services.organisation_create(creator=admin, **kwargs)
