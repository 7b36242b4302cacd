"""``manage.py schedule_sync``: register the periodic tasks with Celery beat's database scheduler.

Idempotent: each task of ``config.schedule`` is created or brought up to date by its name, so
running it on every deploy (docker-compose's beat service does) is safe. Tasks it no longer
lists are disabled, not deleted, so an operator sees what was dropped.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand
from django.db import transaction
from django_celery_beat.models import CrontabSchedule, IntervalSchedule, PeriodicTask

from config.schedule import periodic_tasks

# Names this command owns: every PeriodicTask it created carries this prefix in its description.
MARK = "[throughline] "


class Command(BaseCommand):
    help = "Register the periodic tasks (approvals expiry and reminders, …) with Celery beat."

    def handle(self, *args: Any, **options: Any) -> None:
        wanted = periodic_tasks()
        with transaction.atomic():
            for periodic in wanted:
                every: IntervalSchedule | None = None
                at: CrontabSchedule | None = None
                if periodic.crontab:
                    minute, hour, day_of_month, month_of_year, day_of_week = (
                        periodic.crontab.split()
                    )
                    at, _ = CrontabSchedule.objects.get_or_create(
                        minute=minute,
                        hour=hour,
                        day_of_month=day_of_month,
                        month_of_year=month_of_year,
                        day_of_week=day_of_week,
                        timezone="UTC",
                    )
                    when = f"at {periodic.crontab} UTC"
                else:
                    every, _ = IntervalSchedule.objects.get_or_create(
                        every=periodic.every_minutes, period=IntervalSchedule.MINUTES
                    )
                    when = f"every {every.every} min"
                task, created = PeriodicTask.objects.update_or_create(
                    name=periodic.name,
                    defaults={
                        "task": periodic.task,
                        "interval": every,
                        "crontab": at,
                        "enabled": True,
                        "description": f"{MARK}{periodic.description}",
                    },
                )
                verb = "Registered" if created else "Up to date"
                self.stdout.write(f"{verb}: {task.name} ({task.task}, {when})")
            dropped = (
                PeriodicTask.objects.filter(description__startswith=MARK, enabled=True)
                .exclude(name__in=[periodic.name for periodic in wanted])
                .update(enabled=False)
            )
            if dropped:
                self.stdout.write(f"Disabled {dropped} periodic task(s) no longer scheduled.")
