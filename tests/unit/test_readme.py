"""The README's list of safety texts is the knowledge base's, word for word."""

from __future__ import annotations

from bot.kb.model import Knowledge
from tests.support import ROOT


def test_the_readme_lists_every_safety_text(knowledge: Knowledge) -> None:
    readme = ROOT.joinpath("README.md").read_text(encoding="utf-8")
    section = readme[readme.index("## Safety texts"):readme.index("## Editing what the bot")]
    texts = {knowledge.safety_text(e.category, e.id) for e in knowledge.emergencies}
    texts |= {c.safety for c in knowledge.reports if c.urgency != "normal" and c.safety}
    assert texts and all(text in section for text in texts)
    listed = [line for line in section.splitlines() if line.startswith("- **")]
    assert len(listed) == len(knowledge.emergencies) + sum(
        1 for c in knowledge.reports if c.urgency == "urgent" and c.safety)
