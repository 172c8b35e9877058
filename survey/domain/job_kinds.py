"""Every kind of background job and its handler, wired in one place.

The application factory (and a command that runs jobs itself) builds a registry here from
its settings: nothing registers at import, and each app or test has a registry of its own.
"""

from __future__ import annotations

from functools import partial

from survey.domain import followup_news, mail, needs, privacy, sortition, webhooks
from survey.domain.jobs import JobRegistry
from survey.settings import SmtpSettings


def job_registry(
    smtp: SmtpSettings | None, *, heartbeat_seconds: float = 10.0, stall_seconds: float = 60.0
) -> JobRegistry:
    """The registry of every job kind; e-mails are sent with ``smtp``, and without one
    (``None``) they are left in the queue for a process that has a mail server."""
    registry = JobRegistry(heartbeat_seconds=heartbeat_seconds, stall_seconds=stall_seconds)
    registry.add(needs.JOB_KIND, needs.run_analysis, given_up=needs.give_up_analysis)
    registry.add(sortition.DRAW_JOB, sortition.run_queued_draw)
    registry.add(privacy.FORGET_KIND, privacy.forget_job)
    registry.add(webhooks.JOB_KIND, webhooks.deliver_webhook)
    registry.add_daily(privacy.PURGE_KIND, privacy.daily_purge, hour=3)
    registry.add_daily(followup_news.DAILY_KIND, followup_news.daily_news, hour=4)
    registry.add_zoned(mail.MAIL_JOB, partial(mail.send_invitation_mail, smtp))
    registry.add_zoned(mail.NEWS_JOB, partial(followup_news.send_digest, smtp))
    if smtp is None:
        registry.pause(mail.MAIL_JOB)
        registry.pause(mail.NEWS_JOB)
    return registry
