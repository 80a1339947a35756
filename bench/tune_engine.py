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
Array = npt.NDArray[np.float64]


def main() -> None:
    """Grid search and print the best settings."""
    parser = argparse.ArgumentParser()
    parser.add_argument("data", nargs="?", default="tests/data/dev_questions.jsonl")
    args = parser.parse_args()
    engine = IntentEngine(build_phrasebook(load_knowledge(Path("knowledge"))))
    rows = []
    for q in read_questions(Path(args.data)):
        if q.intent not in ("affairs.ask", "faq.ask", "fallback"):
            continue
        signals = [s for s in engine.signals(q.text) if s[1] != "report.new"]
        keys = [key.split(":", 1)[-1] for key, *_ in signals]
        values = np.array([[r, c, f] for _, _, r, c, f in signals] or [[0.0, 0.0, 0.0]])
        is_faq = np.array([intent == "faq.ask" for _, intent, *_ in signals] or [False])
        right = np.array([q.item is None or k == q.item for k in keys] or [False])
        rows.append((q.intent != "fallback", values, right, is_faq))
    in_scope = np.array([r[0] for r in rows])
    steps = [x / 20 for x in range(21)]
    best: tuple[float, tuple[float, ...]] = (float("-inf"), ())
    for wr, wc, faq_weight in itertools.product(steps, steps, (0.7, 0.8, 0.9, 1.0)):
        wf = round(1 - wr - wc, 2)
        if wf < 0:
            continue
        w = np.array([wr, wc, wf])
        top = np.zeros(len(rows))
        second = np.zeros(len(rows))
        top_right = np.zeros(len(rows), dtype=bool)
        top3_right = np.zeros(len(rows), dtype=bool)
        for i, (_, values, right, is_faq) in enumerate(rows):
            scores: Array = (values @ w) * np.where(is_faq, faq_weight, 1.0)
            order = np.argsort(-scores)
            top[i] = scores[order[0]]
            second[i] = scores[order[1]] if len(order) > 1 else 0.0
            top_right[i] = right[order[0]]
            top3_right[i] = bool(right[order[:3]].any())
        lead = top - second
        for answer, margin, clarify, lead_at, lead_margin in itertools.product(
                (0.4, 0.45, 0.5, 0.55, 0.6, 0.65), (0.04, 0.08, 0.12, 0.16),
                (0.15, 0.2, 0.25, 0.3, 0.35), (0.25, 0.3, 0.35, 0.4), (0.15, 0.2, 0.25, 0.3)):
            if clarify > answer or lead_at > answer:
                continue
            direct = ((top >= answer) & (lead >= margin)) | ((top >= lead_at)
                                                              & (lead >= lead_margin))
            fallback = top < clarify
            value = np.where(
                in_scope,
                np.where(fallback, FALLBACK_MISS,
                         np.where(direct, np.where(top_right, DIRECT_RIGHT, WRONG),
                                  np.where(top3_right, CLARIFY_HIT, CLARIFY_MISS))),
                np.where(fallback, OOS_RIGHT, np.where(direct, WRONG, OOS_CLARIFY))).sum()
            if value > best[0]:
                best = (float(value), (wr, wc, wf, answer, margin, clarify, lead_at,
                                       lead_margin, faq_weight))
    value, (wr, wc, wf, answer, margin, clarify, lead_at, lead_margin, faq_weight) = best
    print(f"best value {value:.1f} over {len(rows)} questions")
    print(f"answer_threshold = {answer}\nanswer_margin = {margin}\nclarify_threshold = "
          f"{clarify}\nlead_threshold = {lead_at}\nlead_margin = {lead_margin}\n"
          f"faq_weight = {faq_weight}\nweight_recall = {wr}\nweight_coverage = {wc}\nweight_fuzzy = {wf}")


if __name__ == "__main__":
    main()
