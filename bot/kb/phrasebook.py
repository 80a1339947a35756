"""Turn the knowledge base into the intent engine's phrasebook."""

from __future__ import annotations

from bot.config import Settings
from bot.kb.model import Knowledge
from intents.dates import named_days
from intents.engine import IntentEngine
from intents.phrasebook import Entry, Phrasebook
from intents.safety import EmergencySigns


def build_phrasebook(knowledge: Knowledge) -> Phrasebook:
    """Entries for every affairs item, FAQ and report category, plus the lexicon's word lists."""
    entries: list[Entry] = []
    for item in knowledge.items:
        entries.append(Entry(item.id, "affairs.ask", item.name, (item.name, *item.aliases),
                             item.category))
    for faq in knowledge.faq:
        entries.append(Entry(f"faq:{faq.id}", "faq.ask", faq.question,
                             (faq.question, *faq.aliases), "faq"))
    for category in knowledge.reports:
        entries.append(Entry(f"report:{category.id}", "report.new", category.name,
                             (category.name, *category.keywords, *category.examples),
                             "report"))
    lexicon = knowledge.lexicon
    points = tuple((p.id, (p.name, *p.aliases)) for p in knowledge.canteen.points)
    # Asking for a staff member by name is asking for a person (帮我找下王主任).
    staff = [name for s in knowledge.roster.staff for name in (s.name, *s.aliases)]
    handoff = (*lexicon.handoff, *(f"{verb}{name}" for name in staff
                                   for verb in ("找", "找下", "找一下", "叫", "请", "让")),
               *(f"{name}在{ask}" for name in staff for ask in ("吗", "不在", "哪")))
    return Phrasebook(
        entries=tuple(entries), fillers=lexicon.fillers, greetings=lexicon.greetings,
        acknowledgements=lexicon.acknowledgements, addresses=lexicon.addresses,
        handoff=handoff,
        wish_cues=lexicon.wish_cues, menu_words=lexicon.menu_words,
        eat_words=lexicon.eat_words, food_words=lexicon.food_words,
        menu_topics=lexicon.menu_topics, affairs_cues=lexicon.affairs_cues,
        report_cues=lexicon.report_cues, report_not_cues=lexicon.report_not_cues,
        station_words=lexicon.station_words, actions=lexicon.actions,
        out_of_scope=lexicon.out_of_scope,
        not_reports=lexicon.not_reports,
        own_things=lexicon.own_things,
        not_meals=lexicon.not_meals,
        action_cues=lexicon.action_cues, concepts=lexicon.concepts, done_before=lexicon.done_before,
        done_after=lexicon.done_after,
         canteen_words=lexicon.canteen_words,
         other_places=lexicon.other_places,
        stopwords=lexicon.stopwords, homophones=dict(lexicon.homophones), meal_points=points,
        place_suffixes=lexicon.place_suffixes,
        holidays=named_days(((h.name, *h.aliases), h.dates) for h in knowledge.holidays),
        emergencies=tuple(EmergencySigns(e.id, e.category, e.phrases, e.all_of, e.unless)
                          for e in knowledge.emergencies),
        emergency_categories=tuple(c.id for c in knowledge.reports if c.urgency == "emergency"),
        urgent_categories=tuple(c.id for c in knowledge.reports
                                if c.urgency in ("urgent", "emergency")),
        dishes=tuple(d for d in knowledge.canteen.dishes() if len(d) >= 2),
        capabilities=lexicon.capabilities,
        asked=knowledge.asked,
    )


def build_engine(settings: Settings, knowledge: Knowledge) -> IntentEngine:
    """The intent engine for a knowledge base (built by the composition root; `yizhan
    classify` and `kb eval` build it alone, without the database)."""
    return IntentEngine(build_phrasebook(knowledge), settings.engine, settings.cache_dir)
