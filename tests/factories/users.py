import factory

from apps.accounts.models import Customer
from apps.accounts.services import tax_id_lookup_hash
from apps.core.documents import synthetic_cpf
from apps.core.models import User


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.Sequence(lambda n: f"user{n}@example.com")
    full_name = factory.Faker("name", locale="pt_BR")
    password = factory.PostGenerationMethodCall("set_password", "secret-pass-123")

    @factory.post_generation
    def _save(obj, create, extracted, **kwargs):
        if create:
            obj.save()


class CustomerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Customer

    user = factory.SubFactory(UserFactory)
    kind = Customer.Kind.PERSON
    full_name = factory.LazyAttribute(lambda o: o.user.full_name or "Cliente Teste")
    tax_id = factory.Sequence(lambda n: synthetic_cpf(n, salt=1))
    tax_id_hash = factory.LazyAttribute(lambda o: tax_id_lookup_hash(o.tax_id))
