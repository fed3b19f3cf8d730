"""Evaluation: the labelled Unicancer set (`uca eval`), calibration, the regression gate and BEIR benchmarks."""
