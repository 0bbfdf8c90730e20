"""`vigie serve`: the HTTP API a serving system writes predictions and feedback into."""
