"""The CBBD API side: endpoint catalog (a declaration), HTTP client, the local CBBD-compatible server."""
