"""Reads that pages, endpoints and services need, built so that no page runs a query per row.

By concept (every public name is importable from ``assessments.selectors`` itself):

- ``agreements``: the agreement list and pages, what each agreement's stored score shows, and the
  partners and teams a user may see;
- ``assessments``: one assessment's ratings, categories, worst band and review date;
- ``catalogues``: a catalogue version's risk matrix with its bands, its levels, band and category names;
- ``scores``: stored scores with their freshness;
- ``explain``: how each stored score was made, for the "explain a score" pages.
"""

from .agreements import (
    CurrentAssessments,
    StoredScore,
    agreement_count_visible,
    agreement_current_assessments,
    agreement_history,
    agreement_last_approved_assessment,
    agreement_list,
    agreement_open_assessment,
    agreements_stored_scores,
    bands_by_catalogue,
    partner_search,
    partners_visible_to,
    teams_visible_to,
)
from .assessments import (
    assessment_categories,
    assessment_for_page,
    assessment_headline_band,
    assessment_missing_categories,
    assessment_next_review_date,
    assessment_ratings,
    assessment_review_schedule,
    assessment_transitions,
    assessment_worst_residual_band,
)
from .catalogues import (
    BandMatrix,
    band_codes,
    catalogue_levels,
    catalogue_matrix,
    category_names,
    display_bands,
    worst_band,
)
from .explain import (
    AgreementExplanation,
    TallyExplanation,
    agreement_explain,
    category_explain,
    category_known,
    partner_explain,
    portfolio_explain,
)
from .scores import (
    Freshness,
    agreement_score_read,
    agreements_visible,
    scoped_changes,
    scoped_computed_at,
    scoped_computed_at_as_of,
    scoped_freshness,
    scoped_partner_category_tallies,
    scoped_partner_tallies_named,
    scoped_pending,
    scoped_pending_partners,
    scoped_tallies,
    scoped_tallies_as_of,
    scoped_tally_rows,
    scoped_trend,
    tally_of_sums,
)

__all__ = [
    "AgreementExplanation",
    "BandMatrix",
    "CurrentAssessments",
    "Freshness",
    "StoredScore",
    "TallyExplanation",
    "agreement_count_visible",
    "agreement_current_assessments",
    "agreement_explain",
    "agreement_history",
    "agreement_last_approved_assessment",
    "agreement_list",
    "agreement_open_assessment",
    "agreement_score_read",
    "agreements_stored_scores",
    "agreements_visible",
    "assessment_categories",
    "assessment_for_page",
    "assessment_headline_band",
    "assessment_missing_categories",
    "assessment_next_review_date",
    "assessment_ratings",
    "assessment_review_schedule",
    "assessment_transitions",
    "assessment_worst_residual_band",
    "band_codes",
    "bands_by_catalogue",
    "catalogue_levels",
    "catalogue_matrix",
    "category_explain",
    "category_known",
    "category_names",
    "display_bands",
    "partner_explain",
    "partner_search",
    "partners_visible_to",
    "portfolio_explain",
    "scoped_changes",
    "scoped_computed_at",
    "scoped_computed_at_as_of",
    "scoped_freshness",
    "scoped_partner_category_tallies",
    "scoped_partner_tallies_named",
    "scoped_pending",
    "scoped_pending_partners",
    "scoped_tallies",
    "scoped_tallies_as_of",
    "scoped_tally_rows",
    "scoped_trend",
    "tally_of_sums",
    "teams_visible_to",
    "worst_band",
]
