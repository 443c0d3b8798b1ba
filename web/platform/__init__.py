"""The HTTP platform every API route shares: API keys and HTTP Signatures, the request context,
idempotent replay of answers, and the error shapes of both APIs."""
