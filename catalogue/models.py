"""Risk catalogues: versioned sets of categories, scales, a risk matrix and safeguards.

A catalogue version is edited while it is a draft and frozen once published, so that every
assessment made against it keeps its meaning. Freezing is enforced by the services in
``catalogue.services`` (and mirrored in the admin); nothing here writes on its own.
"""

from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.db.models import Q
from django.urls import reverse

from .choices import CatalogueStatus, RollupMethod, Scale

SCALE_MIN = 1
SCALE_MAX = 5
level_validators = [MinValueValidator(SCALE_MIN), MaxValueValidator(SCALE_MAX)]
code_validator = RegexValidator(
    r"^[A-Z][A-Z0-9_]*$", "Use upper-case letters, digits and underscores, starting with a letter."
)


class RiskCatalogue(models.Model):
    name = models.CharField(max_length=200)
    version = models.PositiveIntegerField()
    status = models.CharField(max_length=16, choices=CatalogueStatus.choices, default=CatalogueStatus.DRAFT)
    description = models.TextField(blank=True)
    rollup_method = models.CharField(
        max_length=32, choices=RollupMethod.choices, default=RollupMethod.WEIGHTED_MEAN
    )
    # Parameters of the roll-up method, e.g. {"escalate_band": "HIGH", "min_count": 2, "to_band": "CRITICAL"}.
    rollup_params = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    published_at = models.DateTimeField(null=True, blank=True)
    retired_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["name", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["name", "version"], name="catalogue_unique_name_version"),
            models.CheckConstraint(condition=Q(version__gte=1), name="catalogue_version_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.name} v{self.version} ({self.get_status_display()})"

    def get_absolute_url(self) -> str:
        return reverse("admin:catalogue_riskcatalogue_change", args=[self.pk])

    @property
    def is_editable(self) -> bool:
        return self.status == CatalogueStatus.DRAFT


class ScaleLevel(models.Model):
    """One level of a likelihood or impact scale, with the words assessors see."""

    catalogue = models.ForeignKey(RiskCatalogue, on_delete=models.CASCADE, related_name="scale_levels")
    scale = models.CharField(max_length=16, choices=Scale.choices)
    value = models.PositiveSmallIntegerField(validators=level_validators)
    label = models.CharField(max_length=60)
    description = models.TextField()

    class Meta:
        ordering = ["catalogue", "scale", "value"]
        constraints = [
            models.UniqueConstraint(fields=["catalogue", "scale", "value"], name="scalelevel_unique_value"),
            models.CheckConstraint(
                condition=Q(value__gte=SCALE_MIN, value__lte=SCALE_MAX), name="scalelevel_value_range"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_scale_display()} {self.value}: {self.label}"


class Band(models.Model):
    """A risk band of the matrix (Low, Medium, High, Critical); rank orders them, 1 = least severe."""

    catalogue = models.ForeignKey(RiskCatalogue, on_delete=models.CASCADE, related_name="bands")
    code = models.CharField(max_length=32, validators=[code_validator])
    label = models.CharField(max_length=60)
    rank = models.PositiveSmallIntegerField()
    colour = models.CharField(
        max_length=7, validators=[RegexValidator(r"^#[0-9A-Fa-f]{6}$", "Use a colour like #1A2B3C.")]
    )
    description = models.TextField(blank=True)

    class Meta:
        ordering = ["catalogue", "rank"]
        constraints = [
            models.UniqueConstraint(fields=["catalogue", "code"], name="band_unique_code"),
            models.UniqueConstraint(fields=["catalogue", "rank"], name="band_unique_rank"),
        ]

    def __str__(self) -> str:
        return self.label


class MatrixCell(models.Model):
    """The risk matrix as data: one row per (likelihood, impact) pair, naming its band."""

    catalogue = models.ForeignKey(RiskCatalogue, on_delete=models.CASCADE, related_name="matrix_cells")
    likelihood = models.PositiveSmallIntegerField(validators=level_validators)
    impact = models.PositiveSmallIntegerField(validators=level_validators)
    band = models.ForeignKey(Band, on_delete=models.PROTECT, related_name="cells")

    class Meta:
        ordering = ["catalogue", "likelihood", "impact"]
        constraints = [
            models.UniqueConstraint(fields=["catalogue", "likelihood", "impact"], name="matrixcell_unique_pair"),
            models.CheckConstraint(
                condition=Q(likelihood__gte=SCALE_MIN, likelihood__lte=SCALE_MAX)
                & Q(impact__gte=SCALE_MIN, impact__lte=SCALE_MAX),
                name="matrixcell_range",
            ),
        ]

    def __str__(self) -> str:
        return f"L{self.likelihood} x I{self.impact} -> {self.band_id}"


class RiskCategory(models.Model):
    catalogue = models.ForeignKey(RiskCatalogue, on_delete=models.CASCADE, related_name="categories")
    code = models.CharField(max_length=64, validators=[code_validator])
    name = models.CharField(max_length=200)
    description = models.TextField()
    # Questions an assessor should ask themselves, in display order.
    guidance = models.JSONField(default=list, blank=True)
    weight = models.DecimalField(max_digits=6, decimal_places=2, default=1)
    display_order = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["catalogue", "display_order", "code"]
        verbose_name_plural = "risk categories"
        constraints = [
            models.UniqueConstraint(fields=["catalogue", "code"], name="category_unique_code"),
            models.CheckConstraint(condition=Q(weight__gt=0), name="category_weight_positive"),
        ]

    def __str__(self) -> str:
        return self.name


class Safeguard(models.Model):
    """A named safeguard from the library, linked to the categories it mitigates."""

    catalogue = models.ForeignKey(RiskCatalogue, on_delete=models.CASCADE, related_name="safeguards")
    code = models.CharField(max_length=64, validators=[code_validator])
    name = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    categories = models.ManyToManyField(RiskCategory, related_name="safeguards", blank=True)

    class Meta:
        ordering = ["catalogue", "name"]
        constraints = [
            models.UniqueConstraint(fields=["catalogue", "code"], name="safeguard_unique_code"),
        ]

    def __str__(self) -> str:
        return self.name
