"""The ticket layer: routing reports and wishes to building leaders."""
