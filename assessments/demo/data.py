"""The demo world's fixed facts: its date, seed, teams, users, partners and the phrases of its rationales."""

import datetime as dt

from riskboard.roles import Role

from ..choices import PartnerKind, Region

# The demo world's "today". Fixed, so the seeded history does not depend on when it is run.
REFERENCE_DATE = dt.date(2026, 10, 1)
DEMO_SEED = 20261001
PASSWORD_ENV = "RISKBOARD_DEMO_PASSWORD"  # noqa: S105 (the variable's name, not a password)
REVIEW_INTERVAL = dt.timedelta(days=182)

S, A, IO, CO = PartnerKind.STATE, PartnerKind.AGENCY, PartnerKind.INTERNATIONAL_ORGANISATION, PartnerKind.COMPANY
EU, AM, AP, AF = Region.EUROPE, Region.AMERICAS, Region.ASIA_PACIFIC, Region.AFRICA
ME, CA, GL = Region.MIDDLE_EAST, Region.CENTRAL_ASIA, Region.GLOBAL

TEAMS = [
    ("strategic-partnerships", "Strategic Partnerships", "Counter-terrorism, border and maritime cooperation."),
    ("technology-cyber", "Technology & Cyber Cooperation", "Cyber, signals, imagery and technology exchanges."),
]

# username, first name, last name, role, team slug (None: all teams), staff and superuser
USERS = [
    ("analyst", "Amira", "Haddad", Role.ANALYST, "strategic-partnerships", False),
    ("manager", "Martin", "Keller", Role.MANAGER, "strategic-partnerships", False),
    ("analyst2", "Sofia", "Lindqvist", Role.ANALYST, "technology-cyber", False),
    ("manager2", "Daniel", "Okafor", Role.MANAGER, "technology-cyber", False),
    ("admin", "Helen", "Carter", Role.ADMINISTRATOR, None, True),
    ("auditor", "Tomas", "Reyes", Role.AUDITOR, None, False),
]

# Invented bodies with believable names: name, kind, ISO country, region, partner risk (0 low - 2 high).
PARTNERS = [
    ("Ministry of Interior of Norway", S, "NO", EU, 0),
    ("Ministry of Defence of Denmark", S, "DK", EU, 0),
    ("Estonia Signals Directorate", A, "EE", EU, 0),
    ("Polish National Border Analysis Centre", A, "PL", EU, 1),
    ("Netherlands Counter-Terrorism Coordination Office", A, "NL", EU, 0),
    ("Ministry of Foreign Affairs of Finland", S, "FI", EU, 0),
    ("Portuguese Maritime Surveillance Agency", A, "PT", EU, 0),
    ("Irish Financial Crime Analysis Unit", A, "IE", EU, 0),
    ("Ministry of Interior of Greece", S, "GR", EU, 1),
    ("Aurora Cryptologic GmbH", CO, "DE", EU, 1),
    ("Northern Maritime Security Organisation", IO, "", EU, 0),
    ("Sentinel Trust Cloud Services Ltd", CO, "GB", EU, 1),
    ("Canada Signals Directorate", A, "CA", AM, 0),
    ("Ministry of Security of Argentina", S, "AR", AM, 1),
    ("Chile Cyber Incident Coordination Centre", A, "CL", AM, 1),
    ("Brazil Federal Border Intelligence Office", A, "BR", AM, 1),
    ("Meridian Geospatial Analytics Inc.", CO, "US", AM, 1),
    ("Ministry of Interior of Colombia", S, "CO", AM, 2),
    ("Caribbean Maritime Security Organisation", IO, "", AM, 1),
    ("Japan Maritime Situational Awareness Office", A, "JP", AP, 0),
    ("New Zealand Signals Directorate", A, "NZ", AP, 0),
    ("Ministry of Home Affairs of Singapore", S, "SG", AP, 0),
    ("Republic of Korea Cyber Defence Directorate", A, "KR", AP, 0),
    ("Helix Satellite Imaging Pte. Ltd.", CO, "SG", AP, 1),
    ("Indonesia Counter-Terrorism Coordination Office", A, "ID", AP, 1),
    ("Pacific Islands Fisheries Monitoring Organisation", IO, "", AP, 1),
    ("Ministry of Interior of Kenya", S, "KE", AF, 1),
    ("Ghana Financial Intelligence Office", A, "GH", AF, 1),
    ("Senegal Maritime Surveillance Agency", A, "SN", AF, 1),
    ("Ministry of Defence of Botswana", S, "BW", AF, 1),
    ("Gulf of Guinea Maritime Security Organisation", IO, "", AF, 2),
    ("Cape Horizon Secure Logistics (Pty) Ltd", CO, "ZA", AF, 1),
    ("Ministry of Interior of Jordan", S, "JO", ME, 1),
    ("Oman Coastal Surveillance Directorate", A, "OM", ME, 1),
    ("Ministry of Interior of the United Arab Emirates", S, "AE", ME, 2),
    ("Qatar Cyber Resilience Directorate", A, "QA", ME, 2),
    ("Eastern Mediterranean Aviation Security Forum", IO, "", ME, 1),
    ("Ministry of Interior of Kazakhstan", S, "KZ", CA, 2),
    ("Uzbekistan Border Analysis Agency", A, "UZ", CA, 2),
    ("Kyrgyz Republic Counter-Narcotics Office", A, "KG", CA, 2),
    ("International Counter-Proliferation Monitoring Organisation", IO, "", GL, 0),
    ("Global Maritime Information Exchange Organisation", IO, "", GL, 1),
]

TOPICS = {
    "strategic-partnerships": [
        "Counter-terrorism information sharing", "Border security cooperation", "Maritime domain awareness",
        "Counter-narcotics liaison", "Counter-proliferation reporting", "Financial crime intelligence exchange",
    ],
    "technology-cyber": [
        "Cyber incident information exchange", "Satellite imagery sharing", "Secure communications pilot",
        "Signals analysis training", "Cryptographic equipment loan", "Open-source analytics collaboration",
    ],
}
HIGH_REASONS = [
    "the partner's oversight body has limited access to jointly held material",
    "the volume of shared reporting has grown faster than the partner's vetting capacity",
    "open-source reporting points to political pressure on the partner's leadership",
    "the partner relies on third-country suppliers for core systems",
    "recent staff turnover in the partner's liaison office weakens continuity",
]
LOW_REASONS = [
    "the partner has a long record of honouring handling caveats",
    "exchanges are narrow in scope and reviewed case by case",
    "the last compliance visit found no material issues",
    "the partner's legal framework mirrors our own retention rules",
    "shared material is sanitised before release",
]
CHANGE_PHRASES = {None: "", -1: " has eased since the last review and", 0: " is unchanged since the last review and",
                  1: " has worsened since the last review and"}
RETURN_COMMENTS = [
    "Please evidence the residual likelihood for the data-handling categories before approval.",
    "The rationale for the partner's oversight arrangements needs a source; please add one.",
    "Residual impact looks optimistic given the suspension last year; please reconsider.",
]
PARTNER_RISK = {name: risk for name, _, _, _, risk in PARTNERS}
TEAM_STAFF = {  # team slug -> (analyst username, manager username)
    slug: tuple(u[0] for u in USERS if u[4] == slug and u[3] in (Role.ANALYST, Role.MANAGER)) for slug, *_ in TEAMS
}
