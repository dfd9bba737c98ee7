"""Prefect flows: when and in what order. All logic lives in plain functions they call."""
