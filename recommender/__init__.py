"""Green recommendations: consumers, choice model and incentives (not yet built)."""
