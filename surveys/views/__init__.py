"""The surveys app's member and public pages, one module per domain."""
