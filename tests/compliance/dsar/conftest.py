import pytest

from portal import roles


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    """Packages and receipts go to a folder of the test's own."""
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture
def officer(staff_client_for):
    """A privacy officer signed in to the admin."""
    client, _ = staff_client_for(roles.PRIVACY_OFFICER)
    return client
