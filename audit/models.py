"""Event tables of the audit trail: one per tracked model, each append-only.

Every class below subclasses ``tracks(Model)``: PostgreSQL triggers on ``Model``'s table write a
row here for each insert, update and delete (see ``audit.tracking``). Nothing in the application
writes to these tables, and a trigger refuses UPDATE and DELETE on them.

``parents`` (kept as the event model's ``audit_parents``) names the rows an entry also belongs to,
as ``(model label, column)`` pairs read from the row's JSON: a rating's entries appear in its
assessment's history, a safeguard link's in its rating's, and so on. Each pair is indexed.
"""

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group

from accounts.models import SignIn
from api.models import ApiToken
from assessments.models import Agreement, Assessment, AssessmentTransition, Membership, Partner, Rating, Team
from catalogue.models import Band, MatrixCell, RiskCatalogue, RiskCategory, Safeguard, ScaleLevel

from .tracking import tracks

# Parents: (model label, the column of the tracked row that holds the parent's id).
CATALOGUE = ("catalogue.riskcatalogue", "catalogue_id")
SAFEGUARD = ("catalogue.safeguard", "safeguard_id")
CATEGORY = ("catalogue.riskcategory", "riskcategory_id")
TEAM = ("assessments.team", "team_id")
AGREEMENT = ("assessments.agreement", "agreement_id")
PARTNER = ("assessments.partner", "partner_id")
ASSESSMENT = ("assessments.assessment", "assessment_id")
RATING = ("assessments.rating", "rating_id")
USER = ("auth.user", "user_id")
GROUP = ("auth.group", "group_id")

User = get_user_model()

# --- Catalogues ---------------------------------------------------------------------------------


class RiskCatalogueEvent(tracks(RiskCatalogue)):
    pass


class ScaleLevelEvent(tracks(ScaleLevel, parents=[CATALOGUE])):
    pass


class BandEvent(tracks(Band, parents=[CATALOGUE])):
    pass


class MatrixCellEvent(tracks(MatrixCell, parents=[CATALOGUE])):
    pass


class RiskCategoryEvent(tracks(RiskCategory, parents=[CATALOGUE])):
    pass


class SafeguardEvent(tracks(Safeguard, parents=[CATALOGUE])):
    pass


class SafeguardCategoryEvent(tracks(Safeguard.categories.through, parents=[SAFEGUARD, CATEGORY])):
    pass


# --- Teams and partners -------------------------------------------------------------------------


class TeamEvent(tracks(Team)):
    pass


class MembershipEvent(tracks(Membership, parents=[TEAM, USER])):
    pass


class PartnerEvent(tracks(Partner)):
    pass


# --- Agreements and assessments -----------------------------------------------------------------


class AgreementEvent(tracks(Agreement)):
    pass


class AgreementPartnerEvent(tracks(Agreement.partners.through, parents=[AGREEMENT, PARTNER])):
    pass


class AssessmentEvent(tracks(Assessment, parents=[AGREEMENT])):
    pass


class AssessmentAuthorEvent(tracks(Assessment.authors.through, parents=[ASSESSMENT])):
    pass


class RatingEvent(tracks(Rating, parents=[ASSESSMENT])):
    pass


class RatingSafeguardEvent(tracks(Rating.safeguards.through, parents=[RATING])):
    pass


class AssessmentTransitionEvent(tracks(AssessmentTransition, parents=[ASSESSMENT])):
    pass


# --- Accounts, groups, tokens and sign-ins --------------------------------------------------------
# Secrets never reach the trail: a password hash or a token's hash is left out of the stored row,
# and an update records only that it changed. A sign-in alone (last_login) records no account
# change: the sign-in has its own entry below.


class UserEvent(tracks(User, secrets=["password"], ignore=["last_login"])):
    pass


class UserGroupEvent(tracks(User.groups.through, parents=[USER, GROUP])):
    pass


class UserPermissionEvent(tracks(User.user_permissions.through, parents=[USER])):
    pass


class GroupEvent(tracks(Group)):
    pass


class GroupPermissionEvent(tracks(Group.permissions.through, parents=[GROUP])):
    pass


# A token's primary key embeds its hash ("<prefix>.<hash>"): the entry's id is derived from the
# prefix (public, shown in the admin) instead, and neither the key nor the hash is stored.
class ApiTokenEvent(
    tracks(
        ApiToken,
        parents=[USER],
        secrets=["id", "hashed_key"],
        obj_id_sql="""('x' || substr(md5({row}."prefix"), 1, 15))::bit(60)::bigint""",
    )
):
    pass


class SignInEvent(tracks(SignIn, parents=[USER])):
    pass
