"""Offline plan: run the real program under Pulumi's mock engine and render what it declares."""
