"""Each chart's data as CSV rows: the same selector output the chart and its table show.

A function per chart returns ``(header, rows)``; rows are lists of plain values. The view adds the
filters as comment-free leading rows, so a file says what it was cut from.
"""

from __future__ import annotations

from collections.abc import Iterable

from .selectors.portfolio import SIDES


def _score(tally):
    return (tally.score, tally.score_low, tally.score_high) if tally.n else ("", "", "")


def heatmap_rows(*, partners, cells, categories, scale) -> tuple[list[str], list[list]]:
    """Every partner x category cell with something counted, partners by score."""
    header = ["Partner", "Category", "Score", "Likely low", "Likely high", "Band", "Agreements", "Last assessed"]
    rows = []
    for partner in partners:
        for code, name in categories:
            cell = cells.get((partner.partner_id, code))
            if cell is None or not cell.tally.n:
                continue
            band = scale.band_of_mean(cell.tally)
            rows.append([partner.name, name, *_score(cell.tally), band.label if band else "", cell.tally.n,
                         cell.last_assessed or ""])
    return header, rows


def partner_scores_rows(*, partners, scale) -> tuple[list[str], list[list]]:
    header = ["Partner", "Score", "Likely low", "Likely high", "Band of the mean", "Agreements", "Last assessed"]
    rows = []
    for partner in partners:
        band = scale.band_of_mean(partner.tally)
        rows.append([partner.name, *_score(partner.tally), band.label if band else "", partner.tally.n,
                     partner.last_assessed or ""])
    return header, rows


def matrix_rows(*, counts, levels: Iterable[int] = (1, 2, 3, 4, 5)) -> tuple[list[str], list[list]]:
    scale = counts.rules.scale
    header = ["Likelihood", "Impact", "Band", *(f"{side.capitalize()} ratings" for side in SIDES)]
    rows = []
    for likelihood in reversed(list(levels)):
        for impact in levels:
            band = scale.band(scale.matrix.band(likelihood, impact)) if scale.matrix else None
            rows.append([likelihood, impact, band.label if band else "",
                         *(counts.side(side).get((likelihood, impact), 0) for side in SIDES)])
    return header, rows


def band_rows(*, distribution, bands) -> tuple[list[str], list[list]]:
    header = ["Band", "Agreements by band", "Agreements by worst category"]
    return header, [[band.label, distribution.headline[band.rank - 1], distribution.worst[band.rank - 1]]
                    for band in bands]


def top_agreement_rows(*, rows, bands) -> tuple[list[str], list[list]]:
    header = ["Agreement", "Title", "Score", "Band", "Worst category", "Previous score", "Change", "As of"]
    out = []
    for row in rows:
        score = row.score
        band, worst = bands.get(score.band_rank), bands.get(score.worst_band_rank)
        previous = row.previous_result.score if row.previous_result else ""
        change = f"{row.change_c / 100:+.2f}" if row.change_c is not None else ""
        out.append([score.agreement.reference, score.agreement.title, score.score, band.label if band else "",
                    worst.label if worst else "", previous, change, score.assessment.as_of])
    return header, out


def trend_rows(*, trends) -> tuple[list[str], list[list]]:
    header = ["Series", "Day", "Score", "Likely low", "Likely high", "Counted"]
    rows = []
    for series in trends.series:
        for point in series.points:
            rows.append([series.label, point.day, point.score if point.n else "", point.score_low if point.n else "",
                         point.score_high if point.n else "", point.n])
    return header, rows


def mover_rows(*, movers) -> tuple[list[str], list[list]]:
    header = ["Kind", "Name", "Score at start", "Score at end", "Change"]
    return header, [
        ["Partner" if m.level == "partner" else "Category", m.label, m.before.score, m.after.score,
         f"{m.change_c / 100:+.2f}"]
        for m in movers.all
    ]


def review_rows(*, agreements, today) -> tuple[list[str], list[list]]:
    header = ["Agreement", "Title", "Team", "Next review", "Overdue", "Open assessment"]
    return header, [
        [a.reference, a.title, a.team_name, a.next_review_date, "yes" if a.next_review_date < today else "no",
         a.open_assessment_status or ""]
        for a in agreements
    ]


def approval_rows(*, assessments) -> tuple[list[str], list[list]]:
    header = ["Agreement", "Title", "Team", "As of", "Submitted", "Authors"]
    return header, [
        [a.agreement.reference, a.agreement.title, a.agreement.owner_team.name, a.as_of,
         a.submitted_at.date() if a.submitted_at else "",
         ", ".join(author.get_full_name() or author.get_username() for author in a.authors.all())]
        for a in assessments
    ]


def category_profile_rows(*, profile, scale) -> tuple[list[str], list[list]]:
    header = ["Category", "Score", "Likely low", "Likely high", "Band", "Ratings", "Portfolio median"]
    rows = []
    for row in profile.categories:
        band = scale.band_of_mean(row.tally)
        rows.append([row.name, *_score(row.tally), band.label if band else "", row.tally.n,
                     row.median if row.median is not None else ""])
    return header, rows


def score_history_rows(*, points) -> tuple[list[str], list[list]]:
    header = ["As of", "Approved", "Score", "Likely low", "Likely high", "Band"]
    rows = []
    for p in points:
        band = p.band
        rows.append([p.assessment.as_of, p.assessment.approved_at.date() if p.assessment.approved_at else "",
                     p.result.score, p.result.score_low, p.result.score_high, band.label if band else ""])
    return header, rows


def category_bar_rows(*, views) -> tuple[list[str], list[list]]:
    header = ["Category", "Inherent L", "Inherent I", "Inherent score", "Inherent band", "Residual L", "Residual I",
              "Residual score", "Residual band", "Confidence"]
    rows = []
    for v in views:
        if not v.complete:
            continue
        s = v.state
        rows.append([v.category.name, s["inherent_likelihood"], s["inherent_impact"],
                     s["inherent_likelihood"] * s["inherent_impact"], v.inherent_band.label if v.inherent_band else "",
                     s["residual_likelihood"], s["residual_impact"], s["residual_likelihood"] * s["residual_impact"],
                     v.residual_band.label if v.residual_band else "", v.display["confidence"]])
    return header, rows
