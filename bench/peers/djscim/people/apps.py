from django.apps import AppConfig


class PeopleConfig(AppConfig):
    name = "bench.peers.djscim.people"
    label = "people"
