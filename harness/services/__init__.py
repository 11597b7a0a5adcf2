"""SSM services beside the delegator: the resource directory (RFC 9176) and the host server page."""
