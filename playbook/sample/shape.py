"""The sample company's fixed shape: its funnel, markets, teams and the words its CRM uses.

Nothing here is planted: these are the company every planting (one module each) changes.
"""

from __future__ import annotations

STAGES = ["lead", "intent", "proposal", "negotiation", "signed"]
BASE_ADVANCE = [0.60, 0.55, 0.60, 0.55]  # lead->intent, intent->proposal, ...
DWELL_MEAN_DAYS = [5.0, 12.0, 16.0, 20.0]  # lead dwell counts from first contact
DWELL_SHAPE = 1.8

SEGMENTS = ["Manufacturing", "Retail", "Finance", "Healthcare", "Energy"]
SEGMENT_P = [0.24, 0.22, 0.18, 0.18, 0.18]
SEGMENT_AMOUNT = [1.0, 0.8, 1.3, 0.9, 1.2]
REGIONS = ["East", "North", "South", "West"]
REGION_P = [0.34, 0.22, 0.24, 0.20]
PRODUCTS = ["Cloud ERP", "CRM Suite", "Analytics", "IoT Platform"]
PRODUCT_P = [0.35, 0.30, 0.20, 0.15]
PRODUCT_AMOUNT = [180_000.0, 90_000.0, 60_000.0, 250_000.0]
PRODUCT_GO_LIVE_DAYS = [60, 30, 30, 75]
SOURCES = ["web", "referral", "event", "outbound", "partner"]
SOURCE_P = [0.35, 0.15, 0.15, 0.20, 0.15]
SIZES = ["small", "medium", "large"]
SIZE_P = [0.50, 0.33, 0.17]
SIZE_AMOUNT = [0.5, 1.0, 2.5]
#: Lead -> intent logit shift by company size (a real driver for lead scoring).
SIZE_LOGIT = [-0.15, 0.0, 0.30]
#: Lead -> intent logit shift per unit of log1p(first-contact delay in days).
CONTACT_LOGIT = -0.5

# (team, region, headcount); the key-account team's reps are spread over regions.
TEAMS = [
    ("East-1", "East", 7),
    ("East-2", "East", 7),
    ("North", "North", 7),
    ("South", "South", 7),
    ("West", "West", 7),
    ("Key Accounts", None, 5),
]

CAPABILITIES = [
    "product_knowledge",
    "needs_discovery",
    "value_proposition",
    "internal_coordination",
    "digital_tools",
    "reflection",
]

#: What else moves conversion in the sample (not findings: the mix explains them).
DRIVERS = {
    "company_size": {
        "stage": "lead",
        "to": "intent",
        "logit": dict(zip(SIZES, SIZE_LOGIT, strict=True)),
    },
    "first_contact_delay": {
        "stage": "lead",
        "to": "intent",
        "logit_per_log1p_day": CONTACT_LOGIT,
    },
    "key_accounts": {
        "team": "Key Accounts",
        "large_account_share": 0.5,
        "note": "owns about half of the large accounts, so its lead -> "
        "intent rate is higher by account mix, not skill",
    },
}

# Raw CRM stage names per language: each stage's usual label, then a rarer one.
RAW_STAGES = {
    "en": [
        ("Lead", "Prospecting"),
        ("Intent", "Qualification"),
        ("Proposal", "Proposal/Price Quote"),
        ("Negotiation", "Negotiation/Review"),
        ("Signed", "Closed Won"),
    ],
    "zh": [
        ("线索", "潜在客户"),
        ("意向", "需求确认"),
        ("方案", "报价"),
        ("谈判", "商务谈判"),
        ("签约", "赢单"),
    ],
}
# How often each stage's two raw names are used, in either language.
RAW_STAGE_WEIGHTS = [(0.93, 0.07), (0.88, 0.12), (0.88, 0.12), (0.94, 0.06), (0.95, 0.05)]

# Lost reasons per stage: (reason, weight).
LOST_REASONS = [
    [("no response", 0.40), ("not a fit", 0.35), ("no budget", 0.25)],
    [("no budget", 0.35), ("no decision", 0.35), ("chose competitor", 0.30)],
    [("price too high", 0.35), ("chose competitor", 0.35), ("no decision", 0.30)],
    [("price too high", 0.35), ("chose competitor", 0.35), ("procurement blocked", 0.30)],
]
# The lost reasons in the Chinese sample.
LOST_REASONS_ZH = {
    "no response": "联系不上",
    "not a fit": "需求不匹配",
    "no budget": "没有预算",
    "no decision": "无决策",
    "chose competitor": "选择竞品",
    "price too high": "价格太高",
    "procurement blocked": "采购流程受阻",
}
