"""factory_boy factories shared by every test module.

``CatalogueFactory`` builds a complete, published catalogue (standard 5x5 matrix, two scales and
three categories) unless told otherwise, so a test starts from something an assessor could use.
"""

import datetime as dt

import factory
from django.contrib.auth import get_user_model

from assessments import choices as ac
from assessments.models import Agreement, Assessment, Membership, Partner, Rating, Team
from catalogue.cache import catalogue_cache_clear
from catalogue.choices import CatalogueStatus, Scale
from catalogue.models import Band, MatrixCell, RiskCatalogue, RiskCategory, Safeguard, ScaleLevel

BANDS = [("LOW", "Low", 1, "#2E7D32"), ("MEDIUM", "Medium", 2, "#F9A825"), ("HIGH", "High", 3, "#EF6C00"),
         ("CRITICAL", "Critical", 4, "#C62828")]


def standard_band_code(likelihood: int, impact: int) -> str:
    """The band of the standard 5x5 matrix used by tests: score 1-4 Low, 5-9 Medium, 10-16 High, 20+ Critical."""
    score = likelihood * impact
    if score >= 20:
        return "CRITICAL"
    if score >= 10:
        return "HIGH"
    if score >= 5:
        return "MEDIUM"
    return "LOW"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.org")
    password = factory.PostGenerationMethodCall("set_password", "correct-horse-battery")

    @factory.post_generation
    def _save(obj, create, extracted, **kwargs):
        if create:
            obj.save()


class TeamFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Team
        django_get_or_create = ("slug",)

    name = factory.Sequence(lambda n: f"Team {n}")
    slug = factory.Sequence(lambda n: f"team-{n}")


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Membership

    user = factory.SubFactory(UserFactory)
    team = factory.SubFactory(TeamFactory)
    role = ac.Role.ANALYST


class CatalogueFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = RiskCatalogue
        skip_postgeneration_save = True

    name = factory.Sequence(lambda n: f"Test catalogue {n}")
    version = 1
    status = CatalogueStatus.PUBLISHED
    published_at = factory.LazyFunction(lambda: dt.datetime(2024, 1, 1, tzinfo=dt.UTC))

    @factory.post_generation
    def contents(obj, create, extracted, **kwargs):
        """Scales, bands, the 5x5 matrix and ``categories`` (default 3) categories."""
        if not create or extracted is False:
            return
        n_categories = kwargs.get("categories", 3)
        for scale in Scale:
            for value in range(1, 6):
                ScaleLevel.objects.create(
                    catalogue=obj, scale=scale, value=value, label=f"{scale.label} {value}",
                    description=f"{scale.label} level {value}.",
                )
        bands = {
            code: Band.objects.create(catalogue=obj, code=code, label=label, rank=rank, colour=colour)
            for code, label, rank, colour in BANDS
        }
        MatrixCell.objects.bulk_create(
            MatrixCell(catalogue=obj, likelihood=lk, impact=im, band=bands[standard_band_code(lk, im)])
            for lk in range(1, 6)
            for im in range(1, 6)
        )
        for i in range(n_categories):
            category = RiskCategory.objects.create(
                catalogue=obj, code=f"CAT_{i + 1}", name=f"Category {i + 1}",
                description=f"Description of category {i + 1}.", guidance=[f"Question {i + 1}?"],
                weight=1, display_order=i + 1,
            )
            safeguard = Safeguard.objects.create(catalogue=obj, code=f"SG_{i + 1}", name=f"Safeguard {i + 1}")
            safeguard.categories.add(category)
        catalogue_cache_clear()  # created published, without the service that would say so


class PartnerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Partner

    name = factory.Sequence(lambda n: f"Partner {n}")
    kind = ac.PartnerKind.STATE
    country = "NO"
    region = ac.Region.EUROPE


class AgreementFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Agreement
        skip_postgeneration_save = True

    reference = factory.Sequence(lambda n: f"AGR-{n:05d}")
    title = factory.Sequence(lambda n: f"Cooperation agreement {n}")
    kind = ac.AgreementKind.MOU
    classification = ac.Classification.SECRET
    owner_team = factory.SubFactory(TeamFactory)
    status = ac.AgreementStatus.ACTIVE
    start_date = dt.date(2023, 1, 1)
    end_date = dt.date(2030, 12, 31)
    notice_period_days = 90

    @factory.post_generation
    def partners(obj, create, extracted, **kwargs):
        if not create:
            return
        obj.partners.add(*(extracted if extracted is not None else [PartnerFactory()]))


class AssessmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Assessment

    agreement = factory.SubFactory(AgreementFactory)
    catalogue = factory.SubFactory(CatalogueFactory)
    status = ac.AssessmentStatus.DRAFT
    as_of = dt.date(2025, 6, 1)


class RatingFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Rating

    assessment = factory.SubFactory(AssessmentFactory)
    category = factory.LazyAttribute(lambda r: r.assessment.catalogue.categories.first())
    inherent_likelihood = 4
    inherent_impact = 4
    residual_likelihood = 2
    residual_impact = 3
    confidence = ac.Confidence.MEDIUM


class DraftCatalogueFactory(CatalogueFactory):
    """A complete catalogue that is still a draft, so every edit service accepts it."""

    status = CatalogueStatus.DRAFT
    published_at = None


def rating_inputs(categories, *, inherent=(4, 4), residual=(2, 3), **extra):
    """Service input rating every one of ``categories`` alike, with all its safeguards and a rationale."""
    from assessments.services import RatingInput

    return [
        RatingInput(
            category_id=c.pk,
            inherent_likelihood=inherent[0],
            inherent_impact=inherent[1],
            residual_likelihood=residual[0],
            residual_impact=residual[1],
            safeguard_ids=[s.pk for s in c.safeguards.all()],
            rationale=f"Rationale for {c.name}",
            **extra,
        )
        for c in categories
    ]
