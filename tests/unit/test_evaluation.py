"""`kb eval`: reading labelled questions and the figures of a run."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from bot.evaluation import (
    DEFAULT_TODAY,
    EvaluationReport,
    LabelledQuestion,
    Outcome,
    evaluate,
    format_report,
    read_questions,
)
from intents.engine import (
    AFFAIRS,
    FALLBACK,
    FAQ,
    GREETING,
    MENU,
    REPORT,
    WISH,
    Candidate,
    Classification,
    IntentEngine,
)
from tests.support import DEV_QUESTIONS

GOOD = "\n".join([
    "# a comment, then a blank line",
    "",
    '{"text": "敬老卡怎么办", "intent": "affairs.ask", "item": "A082"}',
    '{"text": "明天中午吃什么", "intent": "menu.ask", "date": "2026-11-24", "meal": "lunch", '
    '"meal_point": null}',
    '{"text": "楼道灯坏了", "intent": "report.new", "category": "lighting", '
    '"today": "2026-12-01"}',
    '{"text": "股票怎么买", "intent": "fallback"}',
]) + "\n"


def test_read_questions(tmp_path: Path) -> None:
    path = tmp_path / "questions.jsonl"
    path.write_text(GOOD, encoding="utf-8")
    questions = read_questions(path)
    assert [q.intent for q in questions] == [AFFAIRS, MENU, REPORT, FALLBACK]
    assert questions[0] == LabelledQuestion("敬老卡怎么办", AFFAIRS, item="A082")
    assert questions[0].today == DEFAULT_TODAY == dt.date(2026, 11, 23)
    assert (questions[1].date, questions[1].meal, questions[1].meal_point) == (
        "2026-11-24", "lunch", None)
    assert questions[2].category == "lighting"
    assert questions[2].today == dt.date(2026, 12, 1)


@pytest.mark.parametrize("bad", [
    '{"text": "no intent"}',
    "not json at all",
    '{"intent": "fallback"}',
    '{"text": "x", "intent": "fallback", "today": "yesterday"}',
    '["text", "intent"]',
])
def test_read_questions_rejects_a_malformed_line_with_its_number(tmp_path: Path,
                                                                 bad: str) -> None:
    path = tmp_path / "questions.jsonl"
    path.write_text(GOOD + bad + "\n", encoding="utf-8")
    bad_line = len(GOOD.splitlines()) + 1
    with pytest.raises(ValueError, match=rf"questions\.jsonl:{bad_line}:"):
        read_questions(path)


def test_the_dev_set_reads() -> None:
    questions = read_questions(DEV_QUESTIONS)
    assert len(questions) > 100
    assert {q.intent for q in questions} >= {AFFAIRS, MENU, REPORT, FALLBACK}


def cand(item: str, score: float = 0.5, intent: str = AFFAIRS) -> Candidate:
    return Candidate(item, score, intent, item)


def outcome(question: LabelledQuestion, result: Classification) -> Outcome:
    return Outcome(question, result)


def synthetic_report() -> EvaluationReport:
    """Eight questions with known outcomes."""
    ask = AFFAIRS
    return EvaluationReport([
        # 1. affairs, answered directly and right
        outcome(LabelledQuestion("q1", ask, item="A001"),
                Classification("q1", ask, item="A001", score=0.9,
                               candidates=(cand("A001"), cand("A002")))),
        # 2. affairs, clarified with the right item first
        outcome(LabelledQuestion("q2", ask, item="A002"),
                Classification("q2", ask, clarify=True, score=0.5,
                               candidates=(cand("A002"), cand("A003")))),
        # 3. affairs, answered directly and wrong (right one second)
        outcome(LabelledQuestion("q3", ask, item="A003"),
                Classification("q3", ask, item="A004", score=0.8,
                               candidates=(cand("A004"), cand("A003")))),
        # 4. affairs, fallen back
        outcome(LabelledQuestion("q4", ask, item="A005"),
                Classification("q4", FALLBACK, candidates=(cand("A009"),))),
        # 5. out of scope, fallen back: right
        outcome(LabelledQuestion("q5", FALLBACK), Classification("q5", FALLBACK)),
        # 6. out of scope, answered directly as an item: wrong
        outcome(LabelledQuestion("q6", FALLBACK),
                Classification("q6", ask, item="A001", score=0.7, candidates=(cand("A001"),))),
        # 7. menu, slots right
        outcome(LabelledQuestion("q7", MENU, date="2026-11-24", meal="lunch"),
                Classification("q7", MENU, date=dt.date(2026, 11, 24), meal="lunch")),
        # 8. report, category wrong
        outcome(LabelledQuestion("q8", REPORT, category="lighting"),
                Classification("q8", REPORT, category="gas")),
    ])


def test_outcome_properties() -> None:
    outcomes = synthetic_report().outcomes
    assert [o.top1 for o in outcomes[:4]] == [True, True, False, False]
    assert [o.top3 for o in outcomes[:4]] == [True, True, True, False]
    assert [o.direct for o in outcomes[:4]] == [True, False, True, False]
    assert [o.wrong_direct for o in outcomes] == [False, False, True, False, False, True, False,
                                                  False]


def test_report_figures() -> None:
    figures = synthetic_report().figures()
    expected = {
        "questions": 8,
        "right": 3 / 8,               # q1 direct and right, q5 out of scope caught, q7 menu
        "oos_handled": 1 / 2,         # q5 caught, q6 answered as an item
        "affairs_questions": 4,
        "intent_accuracy": 6 / 8,
        "top1": 2 / 4,
        "top3": 3 / 4,
        "direct_correct": 1 / 4,
        "clarify_rate": 1 / 4,
        "wrong_direct_rate": 1 / 4,
        "wrong_direct_all": 2 / 8,
        "oos_precision": 1 / 2,       # fallbacks: q4 (wrong) and q5 (right)
        "oos_recall": 1 / 2,          # true out of scope: q5 (caught) and q6 (missed)
        "menu_slots": 1.0,
        "report_category": 0.0,
    }
    assert figures == pytest.approx(expected)


def test_report_figures_of_nothing() -> None:
    figures = EvaluationReport().figures()
    assert figures["questions"] == 0
    assert figures["top1"] == 0.0
    assert figures["oos_precision"] == 1.0
    assert figures["oos_recall"] == 1.0
    assert figures["intent_accuracy"] == 1.0


def test_menu_slot_mismatch() -> None:
    report = EvaluationReport([outcome(
        LabelledQuestion("m", MENU, date="2026-11-24", meal="lunch", meal_point="meiyuan"),
        Classification("m", MENU, date=dt.date(2026, 11, 24), meal="lunch", meal_point=None))])
    assert report.figures()["menu_slots"] == 0.0


def test_confusions_and_groups() -> None:
    report = synthetic_report()
    confusions = report.confusions()
    assert ("A003", "A004", 1) in confusions
    assert ("A005", FALLBACK, 1) in confusions
    assert ("fallback", "A001", 1) in confusions
    assert all(expected != "A001" for expected, _, _ in confusions)   # q1 was right
    groups = report.per_group(lambda item: "odd" if item in ("A001", "A003", "A005") else "even")
    assert [row[:2] for row in groups] == [("even", 1), ("odd", 3)]


def test_format_report() -> None:
    text = format_report(synthetic_report(), lambda item: "group")
    assert "affairs top-1:" in text
    assert "50.0%" in text
    assert "A003 -> A004" in text


def test_evaluate_with_the_engine(engine: IntentEngine, tmp_path: Path) -> None:
    path = tmp_path / "questions.jsonl"
    path.write_text(GOOD, encoding="utf-8")
    seen: list[str] = []

    def progress(questions: object) -> list[LabelledQuestion]:
        assert isinstance(questions, list)
        seen.extend(q.text for q in questions)
        return questions

    report = evaluate(engine, read_questions(path), progress)
    assert seen == ["敬老卡怎么办", "明天中午吃什么", "楼道灯坏了", "股票怎么买"]
    assert len(report.outcomes) == 4
    assert report.outcomes[1].result.date == dt.date(2026, 11, 24)
    assert report.outcomes[2].result.intent == REPORT
    assert report.figures()["questions"] == 4


@pytest.mark.parametrize("result", [
    Classification("q", MENU, topic="dishes"),
    Classification("q", REPORT, category="lighting"),
    Classification("q", REPORT),
    Classification("q", WISH),
    Classification("q", FAQ, item="station.hours", candidates=(cand("station.hours"),)),
])
def test_an_out_of_scope_question_answered_directly_is_wrong(result: Classification) -> None:
    assert outcome(LabelledQuestion("q", FALLBACK), result).wrong_direct


@pytest.mark.parametrize("result", [
    Classification("q", FALLBACK),
    Classification("q", AFFAIRS, clarify=True, candidates=(cand("A001"),)),
    Classification("q", GREETING),
])
def test_an_out_of_scope_question_not_answered_is_not_wrong(result: Classification) -> None:
    assert not outcome(LabelledQuestion("q", FALLBACK), result).wrong_direct


def test_the_right_menu_or_report_is_not_wrong() -> None:
    assert not outcome(LabelledQuestion("q", MENU), Classification("q", MENU)).wrong_direct
    assert not outcome(LabelledQuestion("q", REPORT, category="gas"),
                       Classification("q", REPORT, category="gas")).wrong_direct
