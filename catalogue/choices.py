from django.db import models


class CatalogueStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    PUBLISHED = "published", "Published"
    RETIRED = "retired", "Retired"


class Scale(models.TextChoices):
    LIKELIHOOD = "likelihood", "Likelihood"
    IMPACT = "impact", "Impact"


class RollupMethod(models.TextChoices):
    """How an assessment's category ratings roll up into one agreement score."""

    WEIGHTED_MEAN = "weighted_mean", "Weighted mean of residual scores"
    WORST_CASE = "worst_case", "Worst residual band"
    COUNT_RULE = "count_rule", "Count rule (e.g. two or more High make Critical)"
