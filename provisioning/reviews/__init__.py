"""Access reviews' entry points outside the admin: the reviewer's page behind an e-mailed
link, and the campaign report's selectors and exports."""
