"""Why an import stops: raised anywhere in the import, reported by run_import."""


class ImportFailed(Exception):
    pass


class PolicyConflict(ImportFailed):
    """Pools, variables or connections differ on the target under conflictPolicy fail."""
