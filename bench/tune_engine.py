"""Choose the engine's score weights and thresholds on the dev set (never on the held-out set).

A grid search over aggregate outcomes; prints the best settings to copy into config.toml's
[engine] table. Usage: python bench/tune_engine.py [tests/data/dev_questions.jsonl]
"""

from __future__ import annotations

import argparse
import itertools
from pathlib import Path

import numpy as np
import numpy.typing as npt

from bot.evaluation import read_questions
from bot.kb.loader import load_knowledge
from bot.kb.phrasebook import build_phrasebook
from intents.engine import IntentEngine

# What each outcome is worth: a wrong direct answer costs an old person a wasted trip.
DIRECT_RIGHT, CLARIFY_HIT, CLARIFY_MISS, FALLBACK_MISS, WRONG = 1.0, 0.6, 0.1, 0.0, -4.0
OOS_RIGHT, OOS_CLARIFY = 1.0, 0.3
# The right item ranked first is worth something even when the bot clarifies: the resident sees
# it as choice 1. This keeps the search from trading ranking quality for a few more direct answers.
RANK_BONUS = 0.3
Array = npt.NDArray[np.float64]


def main() -> None:
    """Grid search and print the best settings."""
    parser = argparse.ArgumentParser()
    parser.add_argument("data", nargs="?", default="tests/data/dev_questions.jsonl")
    args = parser.parse_args()
    engine = IntentEngine(build_phrasebook(load_knowledge(Path("knowledge"))))
    # the grid below re-creates the engine's decision: keep it in step with IntentEngine._decide
    rows = []
    for q in read_questions(Path(args.data)):
        if q.intent not in ("affairs.ask", "faq.ask", "fallback", "report.new"):
            continue
        signals = engine.signals(q.text)
        values = np.array([[r, c, f, k] for _, _, r, c, f, k in signals]
                          or [[0.0, 0.0, 0.0, 0.0]])
        intents = [intent for _, intent, *_ in signals] or ["none"]
        keys = [key.split(":", 1)[-1] for key, *_ in signals] or [""]
        label = q.item or q.category
        right = np.array([(k == label) if label else (i == q.intent)
                          for k, i in zip(keys, intents, strict=True)])
        rows.append((q.intent, values, right, np.array([i == "faq.ask" for i in intents]),
                     np.array([i == "report.new" for i in intents])))
    kinds = np.array([r[0] for r in rows])
    in_scope = (kinds == "affairs.ask") | (kinds == "faq.ask")
    is_report_row = kinds == "report.new"

    def evaluate(w: Array, faq_weight: float, grid: list[tuple[float, ...]]
                 ) -> tuple[float, tuple[float, ...]]:
        n = len(rows)
        top, second, report_top = np.zeros(n), np.zeros(n), np.zeros(n)
        top_right = np.zeros(n, dtype=bool)
        top3_right = np.zeros(n, dtype=bool)
        report_right = np.zeros(n, dtype=bool)
        for i, (_, values, right, is_faq, is_report) in enumerate(rows):
            scores: Array = (values @ w) * np.where(is_faq, faq_weight, 1.0)
            answerable = np.where(is_report, -1.0, scores)
            order = np.argsort(-answerable, kind="stable")
            top[i] = max(answerable[order[0]], 0.0)
            second[i] = max(answerable[order[1]], 0.0) if len(order) > 1 else 0.0
            top_right[i] = right[order[0]] and not is_report[order[0]]
            top3_right[i] = bool((right & ~is_report)[order[:3]].any())
            reports = np.where(is_report, scores, -1.0)
            best_report = int(np.argmax(reports))
            report_top[i] = max(reports[best_report], 0.0)
            report_right[i] = bool(right[best_report]) and bool(is_report[best_report])
        lead = top - second
        found: tuple[float, tuple[float, ...]] = (float("-inf"), ())
        for answer, margin, clarify, lead_margin in grid:
            # below clarify_threshold is a fallback whatever the lead (checked first below)
            direct = ((top >= answer) & (lead >= margin)) | (lead >= lead_margin)
            fallback = top < clarify
            reported = (report_top >= clarify) & (report_top >= top)
            answered = np.where(
                fallback, FALLBACK_MISS,
                np.where(direct, np.where(top_right, DIRECT_RIGHT, WRONG),
                         np.where(top3_right, CLARIFY_HIT, CLARIFY_MISS)))
            value = RANK_BONUS * float((in_scope & top_right & ~reported & ~fallback).sum())
            value += float(np.where(
                is_report_row, np.where(reported, np.where(report_right, 1.0, 0.3), 0.0),
                np.where(reported, 0.0, np.where(
                    in_scope, answered,
                    np.where(fallback, OOS_RIGHT, np.where(direct, WRONG, OOS_CLARIFY))))
            ).sum())
            if value > found[0]:
                found = (value, (answer, margin, clarify, lead_margin))
        return found

    def thresholds(answers: tuple[float, ...], margins: tuple[float, ...],
                   clarifies: tuple[float, ...], lead_margins: tuple[float, ...]
                   ) -> list[tuple[float, ...]]:
        return [g for g in itertools.product(answers, margins, clarifies, lead_margins)
                if g[2] <= g[0]]

    # Stage 1: weights on a coarse grid.
    coarse = thresholds((0.3, 0.4, 0.5, 0.6), (0.04, 0.08, 0.12), (0.15, 0.25, 0.35),
                        (0.1, 0.2, 0.3))
    best: tuple[float, tuple[float, ...]] = (float("-inf"), ())
    steps = [x / 10 for x in range(11)]
    # rapidfuzz's similarity keeps a small floor: it is what tells typos of an alias apart when
    # the other signals tie.
    for wr, wc, wf, faq_weight in itertools.product(steps, steps, [0.05, *steps[1:]],
                                                    (0.7, 0.8, 0.9, 1.0)):
        wk = round(1 - wr - wc - wf, 2)
        if wk < 0:
            continue
        value, found = evaluate(np.array([wr, wc, wf, wk]), faq_weight, coarse)
        if value > best[0]:
            best = (value, (wr, wc, wf, wk, faq_weight, *found))
    # Stage 2: finer weights around the best, and a fine threshold grid.
    fine = thresholds(tuple(x / 100 for x in range(25, 70, 5)), (0.02, 0.04, 0.06, 0.08, 0.1,
                      0.12, 0.16), tuple(x / 100 for x in range(10, 50, 5)),
                      (0.1, 0.15, 0.2, 0.25, 0.3))
    wr0, wc0, wf0, _, fw0 = best[1][:5]
    around = [-0.05, 0.0, 0.05]
    for dr, dc, df in itertools.product(around, around, around):
        wr, wc, wf = wr0 + dr, wc0 + dc, wf0 + df
        wk = round(1 - wr - wc - wf, 2)
        if min(wr, wc, wk) < 0 or wf < 0.05:
            continue
        value, found = evaluate(np.array([wr, wc, wf, wk]), fw0, fine)
        if value > best[0]:
            best = (value, (round(wr, 2), round(wc, 2), round(wf, 2), wk, fw0, *found))
    value, (wr, wc, wf, wk, faq_weight, answer, margin, clarify, lead_margin) = best
    print(f"best value {value:.1f} over {len(rows)} questions")
    print("copy into config.toml [engine] AND the EngineSettings defaults in intents/engine.py:")
    print(f"answer_threshold = {answer}\nanswer_margin = {margin}\nclarify_threshold = "
          f"{clarify}\nlead_margin = {lead_margin}\n"
          f"faq_weight = {faq_weight}\nweight_recall = {wr}\nweight_coverage = {wc}\n"
          f"weight_fuzzy = {wf}\nweight_cosine = {wk}")


if __name__ == "__main__":
    main()
