"""The offline demo's company and its database: made only through billing's and ticketing's use
cases, only into a database that is empty or already the demo's (marked in `demo_database`)."""
