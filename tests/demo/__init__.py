"""Tests for the demo's synthetic taxi trips, features and tip model (obsql/demo)."""
