from django.db import models

# The choices of Membership.role are defined with access control, which owns them; they are
# importable from here too, with the other choices of this app's fields.
from riskboard.roles import GLOBAL_ROLES, Role  # noqa: F401


class PartnerKind(models.TextChoices):
    STATE = "state", "State"
    AGENCY = "agency", "Agency"
    INTERNATIONAL_ORGANISATION = "international_organisation", "International organisation"
    COMPANY = "company", "Company"


class Region(models.TextChoices):
    AFRICA = "africa", "Africa"
    AMERICAS = "americas", "Americas"
    ASIA_PACIFIC = "asia_pacific", "Asia-Pacific"
    EUROPE = "europe", "Europe"
    MIDDLE_EAST = "middle_east", "Middle East"
    CENTRAL_ASIA = "central_asia", "Central Asia"
    GLOBAL = "global", "Global"


class AgreementKind(models.TextChoices):
    MOU = "mou", "Memorandum of understanding"
    INTELLIGENCE_SHARING = "intelligence_sharing", "Intelligence-sharing agreement"
    TECHNOLOGY_COOPERATION = "technology_cooperation", "Technology cooperation"
    TRAINING_EXCHANGE = "training_exchange", "Training exchange"
    JOINT_OPERATIONS = "joint_operations", "Joint operations arrangement"
    LIAISON = "liaison", "Liaison arrangement"


class Classification(models.TextChoices):
    OFFICIAL = "official", "OFFICIAL"
    OFFICIAL_SENSITIVE = "official_sensitive", "OFFICIAL-SENSITIVE"
    SECRET = "secret", "SECRET"
    TOP_SECRET = "top_secret", "TOP SECRET"


class AgreementStatus(models.TextChoices):
    PROPOSED = "proposed", "Proposed"
    ACTIVE = "active", "Active"
    SUSPENDED = "suspended", "Suspended"
    TERMINATED = "terminated", "Terminated"
    EXPIRED = "expired", "Expired"


class AssessmentStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    SUBMITTED = "submitted", "Submitted"
    RETURNED = "returned", "Returned to draft"
    APPROVED = "approved", "Approved"


# An agreement has at most one assessment in one of these states.
OPEN_STATUSES = (AssessmentStatus.DRAFT, AssessmentStatus.SUBMITTED, AssessmentStatus.RETURNED)
# States in which the content (ratings) may still be edited.
EDITABLE_STATUSES = (AssessmentStatus.DRAFT, AssessmentStatus.RETURNED)


class Confidence(models.TextChoices):
    LOW = "low", "Low"
    MEDIUM = "medium", "Medium"
    HIGH = "high", "High"


class TransitionAction(models.TextChoices):
    CREATE = "create", "Created"
    SUBMIT = "submit", "Submitted"
    RETURN = "return", "Returned"
    APPROVE = "approve", "Approved"
