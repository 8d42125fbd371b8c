"""Event tables of the audit trail: one per tracked model, each append-only.

Every class below subclasses ``tracks(Model)``: PostgreSQL triggers on ``Model``'s table write a
row here for each insert, update and delete (see ``audit.tracking``). Nothing in the application
writes to these tables, and a trigger refuses UPDATE and DELETE on them.

``audit_parents`` names the rows an entry also belongs to, as ``(model label, column)`` pairs read
from the row's JSON: a rating's entries appear in its assessment's history, a safeguard link's in
its rating's, and so on.
"""

from assessments.models import Agreement, Assessment, AssessmentTransition, Membership, Partner, Rating, Team
from catalogue.models import Band, MatrixCell, RiskCatalogue, RiskCategory, Safeguard, ScaleLevel

from .tracking import tracks

# --- Catalogues ---------------------------------------------------------------------------------


class RiskCatalogueEvent(tracks(RiskCatalogue)):
    audit_parents = ()


class ScaleLevelEvent(tracks(ScaleLevel)):
    audit_parents = (("catalogue.riskcatalogue", "catalogue_id"),)


class BandEvent(tracks(Band)):
    audit_parents = (("catalogue.riskcatalogue", "catalogue_id"),)


class MatrixCellEvent(tracks(MatrixCell)):
    audit_parents = (("catalogue.riskcatalogue", "catalogue_id"),)


class RiskCategoryEvent(tracks(RiskCategory)):
    audit_parents = (("catalogue.riskcatalogue", "catalogue_id"),)


class SafeguardEvent(tracks(Safeguard)):
    audit_parents = (("catalogue.riskcatalogue", "catalogue_id"),)


class SafeguardCategoryEvent(tracks(Safeguard.categories.through)):
    audit_parents = (("catalogue.safeguard", "safeguard_id"), ("catalogue.riskcategory", "riskcategory_id"))


# --- Teams and partners -------------------------------------------------------------------------


class TeamEvent(tracks(Team)):
    audit_parents = ()


class MembershipEvent(tracks(Membership)):
    audit_parents = (("assessments.team", "team_id"),)


class PartnerEvent(tracks(Partner)):
    audit_parents = ()


# --- Agreements and assessments -----------------------------------------------------------------


class AgreementEvent(tracks(Agreement)):
    audit_parents = ()


class AgreementPartnerEvent(tracks(Agreement.partners.through)):
    audit_parents = (("assessments.agreement", "agreement_id"), ("assessments.partner", "partner_id"))


class AssessmentEvent(tracks(Assessment)):
    audit_parents = (("assessments.agreement", "agreement_id"),)


class AssessmentAuthorEvent(tracks(Assessment.authors.through)):
    audit_parents = (("assessments.assessment", "assessment_id"),)


class RatingEvent(tracks(Rating)):
    audit_parents = (("assessments.assessment", "assessment_id"),)


class RatingSafeguardEvent(tracks(Rating.safeguards.through)):
    audit_parents = (("assessments.rating", "rating_id"),)


class AssessmentTransitionEvent(tracks(AssessmentTransition)):
    audit_parents = (("assessments.assessment", "assessment_id"),)
