"""The billing state machine of test_stateful.py, in parts: model, plumbing, plans, scenes,
rules."""
