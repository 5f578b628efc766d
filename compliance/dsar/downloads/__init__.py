"""The requester downloads their export package themselves, from the link in the
completion notice, instead of waiting for the privacy officer to send it."""
