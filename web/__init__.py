"""Every HTTP face of the product: the shared platform (keys, signatures, idempotent replay,
error shapes), the REST APIs, the front page and API docs, and the console. Calls ticketing's and
billing's use cases; holds no money or ticket rule of its own."""
