"""`sanctrace alerts`: Prefect automations that turn a run's events (sanctrace/events.py) into notifications.

One automation per kind of event, each with a reactive ``EventTrigger`` (every event fires it) and one
``SendNotification`` action per notification block: a custom webhook posting a JSON body, Prefect's Slack
webhook block when a Slack URL is given, and any notification block the user saved (Teams, PagerDuty,
Opsgenie, Discord, Mattermost, Twilio SMS, SendGrid e-mail...) named with ``--block``. The message is a
Jinja template over the event's payload: the source, what is new or revised, and the document link.
What sanctrace created carries the tag ``sanctrace-alerts``; `remove` deletes only that.
"""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any
from urllib.parse import urlparse
from uuid import UUID

from sanctrace import events

TAG = "sanctrace-alerts"
WEBHOOK_BLOCK = "sanctrace-alerts-webhook"
SLACK_BLOCK = "sanctrace-alerts-slack"
OWN_BLOCKS = (WEBHOOK_BLOCK, SLACK_BLOCK)
# Slack-compatible ("text"), with the subject apart for receivers that show a title.
WEBHOOK_JSON = {"subject": "{{subject}}", "text": "{{body}}", "sender": "{{name}}"}
SLACK_URL = re.compile(r"^https://hooks\.slack(-gov)?\.com/services/[A-Z0-9]+/[A-Z0-9]+/[A-Z0-9]+/?$", re.I)

_NEW_DOCUMENT = """{{ event.payload.source }} ({{ event.payload.family }}): {{ event.payload.count }} new document(s) loaded
{% for d in event.payload.documents %}- {{ d.title or d.key or "document" }}{% if d.round %} (round {{ d.round }})\
{% endif %}{% if d.package %} (package {{ d.package }}){% endif %}{% if d.release_date %} released {{ d.release_date }}\
{% endif %}: {{ d.url }} (sha256 {{ d.sha256[:12] }})
{% endfor %}"""
_REVISED = """{{ event.payload.source }} ({{ event.payload.family }}): {{ event.payload.revised }} figure(s) revised\
{% if event.payload.withdrawn %}, {{ event.payload.withdrawn }} withdrawn{% endif %}
{% for x in event.payload.examples %}- {{ x.series }} {{ x.period }}: {{ x.old_value }} -> {{ x.new_value }} {{ x.unit }} \
({{ x.change }}) in {{ x.document_url }} at {{ x.locator }}
{% endfor %}"""
_NEW_NOTICE = """{{ event.payload.source }} ({{ event.payload.family }}): {{ event.payload.count }} new notice(s)
{% for n in event.payload.notices %}- {{ n.kind }} {{ n.published_on }}: {{ n.title }} {{ n.url }}
{% endfor %}"""
_FAILED = """{{ event.payload.source }} ({{ event.payload.family }}) failed: {{ event.payload.reason }}
{% if event.payload.url %}document: {{ event.payload.url }}{% endif %}"""

# event -> (automation name, subject, body)
ALERTS = {
    events.NEW_DOCUMENT: ("sanctrace: new document", "sanctrace: new document from {{ event.payload.source }}",
                          _NEW_DOCUMENT),
    events.REVISED: ("sanctrace: revised figures", "sanctrace: figures revised by {{ event.payload.source }}",
                     _REVISED),
    events.NEW_NOTICE: ("sanctrace: new notice", "sanctrace: new notice from {{ event.payload.source }}",
                        _NEW_NOTICE),
    events.FAILED: ("sanctrace: source failed", "sanctrace: {{ event.payload.source }} failed", _FAILED),
}


class AlertsError(ValueError):
    """A bad URL, an unknown block, or no Prefect server to hold the automations."""


def check_server() -> str:
    """Automations live on a Prefect server: an ephemeral one would forget them when the command ends."""
    from prefect.settings import PREFECT_API_URL

    url = PREFECT_API_URL.value()
    if not url:
        raise AlertsError("alerts need a running Prefect server: set PREFECT_API_URL "
                          "(e.g. http://127.0.0.1:4200/api, the server `make serve` starts)")
    return url


def check_webhook(url: str) -> str:
    parts = urlparse(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise AlertsError(f"--webhook {url!r} is not an http(s) URL")
    return url


def check_slack(url: str) -> str:
    if not SLACK_URL.match(url):
        raise AlertsError(f"--slack {url!r} is not a Slack incoming webhook URL "
                          "(https://hooks.slack.com/services/T.../B.../...)")
    return url


def setup(webhook: str | None = None, slack: str | None = None, blocks: list[str] | None = None) -> list[dict]:
    """Save the notification blocks and (re)create one automation per kind of event; returns `listing()`."""
    from prefect.blocks.notifications import CustomWebhookNotificationBlock, SlackWebhook

    check_server()
    if not (webhook or slack or blocks):
        raise AlertsError("give at least one of --webhook URL, --slack URL, --block TYPE-SLUG/NAME")
    webhook, slack = webhook and check_webhook(webhook), slack and check_slack(slack)
    theirs = [_notification_block(name) for name in blocks or []]  # all checked before anything is saved
    targets: list[UUID] = []
    if webhook:
        block = CustomWebhookNotificationBlock(name="sanctrace", url=webhook, json_data=WEBHOOK_JSON)
        targets.append(block.save(WEBHOOK_BLOCK, overwrite=True))
    if slack:
        targets.append(SlackWebhook(url=slack).save(SLACK_BLOCK, overwrite=True))
    targets += theirs
    remove(keep_blocks=True)  # a second setup replaces the first, never doubles the notifications
    for event, (name, subject, body) in ALERTS.items():
        _automation(event, name, subject, body, targets).create()
    return listing()


def _automation(event: str, name: str, subject: str, body: str, targets: list[UUID]):
    from prefect.automations import Automation
    from prefect.events.actions import SendNotification
    from prefect.events.schemas.automations import EventTrigger, Posture

    trigger = EventTrigger(expect={event}, match={"prefect.resource.id": f"{events.RESOURCE_PREFIX}*"},
                           posture=Posture.Reactive, threshold=1, within=timedelta(0))
    return Automation(name=name, description=f"sanctrace: a notification for every {event} event",
                      tags=[TAG], trigger=trigger,
                      actions=[SendNotification(block_document_id=b, subject=subject, body=body) for b in targets])


def _notification_block(ref: str) -> UUID:
    """A saved notification block of any type, named as Prefect names blocks: TYPE-SLUG/NAME."""
    from prefect.blocks.core import Block

    if "/" not in ref:
        raise AlertsError(f"--block {ref!r}: name it TYPE-SLUG/NAME, e.g. microsoft-teams-webhook/ops")
    try:
        block = Block.load(ref)
    except (ValueError, KeyError) as exc:
        raise AlertsError(f"--block {ref!r}: no such block on {check_server()} ({exc})") from None
    if "notify" not in block.get_block_capabilities():
        raise AlertsError(f"--block {ref!r} is not a notification block")
    return block._block_document_id


def ours() -> list[Any]:
    """sanctrace's automations (by tag), whatever their name now."""
    from prefect.client.orchestration import get_client

    with get_client(sync_client=True) as client:
        return [a for a in client.read_automations() if TAG in (a.tags or [])]


def listing() -> list[dict]:
    from prefect.client.orchestration import get_client

    check_server()
    rows = []
    with get_client(sync_client=True) as client:
        names = {d.id: d.name for d in client.read_block_documents(include_secrets=False)}
        for a in sorted(ours(), key=lambda a: a.name):
            targets = [names.get(x.block_document_id, str(x.block_document_id)) for x in a.actions
                       if getattr(x, "type", "") == "send-notification"]
            rows.append({"name": a.name, "event": ", ".join(sorted(a.trigger.expect)), "enabled": a.enabled,
                         "notifies": ", ".join(targets), "id": str(a.id)})
    return rows


def remove(keep_blocks: bool = False) -> dict[str, int]:
    """Delete sanctrace's automations and (unless kept) the blocks it saved; others are left alone."""
    from prefect.client.orchestration import get_client

    check_server()
    found = ours()
    removed_blocks = 0
    with get_client(sync_client=True) as client:
        for automation in found:
            client.delete_automation(automation.id)
        if not keep_blocks:
            for doc in client.read_block_documents(include_secrets=False):
                if doc.name in OWN_BLOCKS and doc.block_type and doc.block_type.slug in ("custom-webhook",
                                                                                         "slack-webhook"):
                    client.delete_block_document(doc.id)
                    removed_blocks += 1
    return {"automations": len(found), "blocks": removed_blocks}
