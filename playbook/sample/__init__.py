"""A seeded synthetic company with planted findings, and the truth about them.

``generate(directory, seed=..., deals=...)`` writes a complete pilot workspace:
``pilot.yml``, the seven canonical tables as UTF-8 CSV and ``truth.json`` (what
was planted; the reports never read it). The same arguments always give
byte-identical files: every random draw comes from ``numpy.random.default_rng``
streams derived from the seed, there is no wall-clock time, floats are written
with fixed formats and rows are sorted.

The company: one year of deals (created 2025-11-01 .. 2026-10-31, the export
ends 2026-10-31 23:59:59, local time Asia/Shanghai), 40 sales reps in six
teams over four regions, five segments, four products, five lead sources. Each
deal walks the funnel lead -> intent -> proposal -> negotiation -> signed; at
each stage it dwells a gamma-distributed time and then advances or is lost.
Deals whose next step would fall after the export are still open (censored).
A few skip a stage, regress (negotiation -> proposal -> negotiation), repeat a
stage entry, or log two stages at the same second; a few are forgotten
(open, no activity: sleeping leads).

Plantings (each can be switched off with ``plant=``; one module each, named after it):

``bottleneck``
    one segment advances proposal -> negotiation far less often and dwells
    longer at proposal; its proposal losses are mostly "price too high".
``slow_team``
    one sales team makes first contact days (not hours) after a lead is created;
    lead -> intent conversion falls with the first-contact delay for everyone,
    so that team's leads convert worse.
``top_performers``
    seven reps (one per team, plus one) convert better at every stage, hold
    more discovery meetings and score about one point higher on
    ``needs_discovery`` and ``value_proposition``; two other reps are one-off
    big winners with a single lucky quarter.
``weak_territory`` (optional, not in the default sample)
    one region's negotiation stage is weak for every rep, reps also work accounts
    outside their home region, and nine strong reps instead of seven, four of them
    in the weak region (see :mod:`playbook.sample.territory`).
``pilot``
    deals created from ``pilot_start`` by the pilot teams advance
    intent -> proposal 12 points more often. Pilot/control groups are always
    marked; without this planting the pilot simply has no effect.
``data_quality``
    two reps keep sloppy records: amount and source missing on ~40% of their
    deals, about half of their sales activities not logged.
``content``
    a content library (``content.csv``, ``activities.content_id``): at proposal the
    ROI-led proposal template wins (odds of advancing x3 against the other templates),
    at intent the discount-first pitch loses (x0.35). The library and its use are
    always written; without this planting content makes no difference. Deals and events
    are the same either way (see :mod:`playbook.sample.content`).

Pilot variants (:data:`PILOT_VARIANTS`, off unless named in ``plant=``, at most one):
pilot and control groups marked on every deal of the year, so there is no pre-period
(and no ``pilot.start`` in ``pilot.yml``); the pilot targets negotiation, where the West
region is weak for everyone; the pilot itself has no effect unless ``pilot`` is also
planted (then its lift applies to every pilot-group deal).

``pilot_territory``
    pilot teams East-1 and South, control North and West: the groups share no region, so
    a naive comparison credits the pilot with West's weak negotiation.
``pilot_territory_mirror``
    the mirror: pilot North and West, control East-1 and South (a naive "drop").
``pilot_territory_shared``
    pilot East-1 and North, control East-2 and West: the groups share the East region,
    so a comparison within the same region can tell the pilot from the territory.

The parts of the company: :mod:`~playbook.sample.shape` (its fixed shape),
:mod:`~playbook.sample.company` (reps and accounts), :mod:`~playbook.sample.deals`,
:mod:`~playbook.sample.funnel`, :mod:`~playbook.sample.events`,
:mod:`~playbook.sample.activities`, :mod:`~playbook.sample.assessments`,
:mod:`~playbook.sample.outcomes`; :mod:`~playbook.sample.truth` (``truth.json``) and
:mod:`~playbook.sample.writer` (the files). Every random draw comes from a stream of
:class:`~playbook.sample.options.Streams`.
"""

from __future__ import annotations

from pathlib import Path

from playbook.sample.activities import activity_table
from playbook.sample.assessments import assessment_table
from playbook.sample.clock import Calendar
from playbook.sample.company import build_company, draw_accounts
from playbook.sample.deals import deal_table, draw_deals
from playbook.sample.events import stage_event_table
from playbook.sample.funnel import walk
from playbook.sample.options import (
    OPTIONAL_PLANTINGS,
    PILOT_VARIANTS,
    PLANTINGS,
    Streams,
    parse_options,
)
from playbook.sample.outcomes import outcome_table
from playbook.sample.truth import TRUTH_FILE, SampleTruth, build_truth, load_truth, save_truth
from playbook.sample.writer import Tables, write_workspace

__all__ = [
    "OPTIONAL_PLANTINGS",
    "PILOT_VARIANTS",
    "PLANTINGS",
    "TRUTH_FILE",
    "SampleTruth",
    "generate",
    "load_truth",
]


def generate(
    directory: str | Path,
    *,
    seed: int = 42,
    deals: int = 20000,
    language: str = "en",
    plant: tuple[str, ...] | list[str] | None = PLANTINGS,
) -> SampleTruth:
    """Write a complete synthetic pilot workspace into ``directory``.

    Parameters
    ----------
    directory:
        Created if missing; existing files of the same names are overwritten.
    seed:
        Same seed and arguments -> byte-identical files.
    deals:
        Number of deals (the other tables scale with it).
    language:
        ``"en"`` or ``"zh"``: the report language in ``pilot.yml`` and the
        language of raw stage names, lost reasons and rep names. Segment,
        region, product and source values are English in both.
    plant:
        Which findings to plant (a subset of ``PLANTINGS``); ``()`` or ``None``
        gives a null sample.

    Returns
    -------
    SampleTruth
        The planted truth, also written to ``truth.json``.
    """
    options = parse_options(seed, deals, language, plant)
    streams = Streams.from_seed(options.seed)
    cal = Calendar()
    company = build_company(streams.reps, streams.territory, options)
    accounts = draw_accounts(streams.accounts, streams.territory, company, options)
    book = draw_deals(streams.deals, cal, company, accounts, options)
    funnel = walk(streams.funnel, cal, company, book, options)
    activities = activity_table(streams.activities, cal, company, book, funnel, options)
    tables = Tables(
        # the lost reasons and sloppy blanks come from the funnel's stream, after the walk
        deals=deal_table(streams.funnel, company, book, funnel, options),
        stage_events=stage_event_table(streams.events, company, book, funnel, language),
        activities=activities.table,
        reps=company.reps,
        assessments=assessment_table(streams.assessments, company.reps, company.strong(options)),
        outcomes=outcome_table(streams.outcomes, cal, book, funnel),
    )
    write_workspace(directory, options, tables)
    truth = build_truth(options, company, book, funnel, tables, activities)
    save_truth(directory, truth)
    return truth
