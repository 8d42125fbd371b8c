"""Every write to teams, memberships, partners, agreements, assessments and ratings.

Views, the admin, the API, commands and tasks call these functions; they validate, check the
actor's rights through ``riskboard.permissions``, run in a transaction and record what changed.
Split by concept; every public name is available here (``services.assessment_start(...)``):

- ``assessment``: the assessment workflow (start, save ratings, submit, approve, return);
- ``portfolio``: teams, memberships, partners and agreements.
"""

from .assessment import (
    FOUR_EYES_REFUSAL,
    TEXT_MAX_LENGTH,
    AssessmentConflict,
    RatingInput,
    RatingsInvalid,
    assessment_approve,
    assessment_can_review,
    assessment_is_author,
    assessment_require_reviewer,
    assessment_return,
    assessment_save_ratings,
    assessment_start,
    assessment_submit,
    rating_input_errors,
)
from .portfolio import (
    AGREEMENT_FIELDS,
    MEMBERSHIP_FIELDS,
    PARTNER_FIELDS,
    TEAM_FIELDS,
    agreement_counts_compact,
    agreement_create,
    agreement_delete,
    agreement_set_status,
    agreement_update,
    membership_create,
    membership_delete,
    membership_update,
    partner_create,
    partner_delete,
    partner_update,
    team_create,
    team_delete,
    team_update,
)

__all__ = [
    "AGREEMENT_FIELDS",
    "FOUR_EYES_REFUSAL",
    "MEMBERSHIP_FIELDS",
    "PARTNER_FIELDS",
    "TEAM_FIELDS",
    "TEXT_MAX_LENGTH",
    "AssessmentConflict",
    "RatingInput",
    "RatingsInvalid",
    "agreement_counts_compact",
    "agreement_create",
    "agreement_delete",
    "agreement_set_status",
    "agreement_update",
    "assessment_approve",
    "assessment_can_review",
    "assessment_is_author",
    "assessment_require_reviewer",
    "assessment_return",
    "assessment_save_ratings",
    "assessment_start",
    "assessment_submit",
    "membership_create",
    "membership_delete",
    "membership_update",
    "partner_create",
    "partner_delete",
    "partner_update",
    "rating_input_errors",
    "team_create",
    "team_delete",
    "team_update",
]
