"""驿站助手 (Yizhan): the bot's application layer: configuration, knowledge, dialogue, CLI."""
