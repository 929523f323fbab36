"""Workshops, the instructor's side: a JupyterHub service with its own page.

``python -m funicular.workshop.service --group workshop`` runs under the hub (a
hub-managed service): the hub's OAuth logs instructors in (those whose role grants
``access:services!service=workshop``), and the service acts on the participants'
servers with its own token, whose role is limited to the workshop's group. What a
participant gets (profile, reservation, material) is the spawner's: see
funicular.spawner.workshops.
"""
