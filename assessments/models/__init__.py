"""Models of the assessments app, split by concept."""

from .assessment import Assessment, AssessmentTransition, Rating
from .portfolio import Agreement, Membership, Partner, Team

__all__ = [
    "Agreement",
    "Assessment",
    "AssessmentTransition",
    "Membership",
    "Partner",
    "Rating",
    "Team",
]
from .aggregates import (
    AgreementScore,
    CategoryScore,
    DashboardCellDate,
    DashboardSummary,
    DirtyAgreement,
    EveryTeamDashboardSummary,
    PartnerCategoryScore,
    PartnerScore,
    PortfolioScore,
    ScoreLevel,
    ScoresLock,
    ScoreSnapshot,
    TeamAgreementCount,
)

__all__ += [
    "AgreementScore",
    "CategoryScore",
    "DashboardCellDate",
    "DashboardSummary",
    "DirtyAgreement",
    "EveryTeamDashboardSummary",
    "PartnerCategoryScore",
    "PartnerScore",
    "PortfolioScore",
    "ScoreLevel",
    "ScoreSnapshot",
    "ScoresLock",
    "TeamAgreementCount",
]
