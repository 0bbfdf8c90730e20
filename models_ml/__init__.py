"""Pure functions: simulation, validation, KS drift, training, fairness maths."""
