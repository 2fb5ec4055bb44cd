"""Reproduce the shipped M5 weights from RAVDESS: python -m train --data DIR --out weights"""
