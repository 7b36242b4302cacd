"""The approvals API: requests, and (each in its module) the other approval endpoints."""
