"""tracker: watch CMS HCPCS releases, snapshot them, report what changed."""

__version__ = "0.1.0"
