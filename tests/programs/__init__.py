"""Whole programs run the way their users run them: the seed program and the chat demo."""
