"""Reminders (R-BIL-10, issue 8 points 4 and 7): the log of reminders sent, with filters,
and the club's reminder settings (fee, SMS; the schedule is on the club settings page)."""

from django.conf import settings
from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Sum
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _

from billing import reminders
from billing.forms_reminders import ReminderFilter, ReminderSettingsForm
from billing.models import Reminder
from members.permissions import require_club_admin

PAGE_SIZE = 50


@require_club_admin
def reminder_log(request, club_slug):
    club = request.club
    rows = Reminder.objects.filter(club=club).select_related("invoice")
    reminder_filter = ReminderFilter(request.GET or None, queryset=rows)
    rows = reminder_filter.qs.order_by("-run_date", "-invoice__number", "-level")
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    params = request.GET.copy()
    params.pop("page", None)
    context = {
        "filter": reminder_filter,
        "page": page,
        "query": params.urlencode(),
        "fees": rows.aggregate(s=Sum("fee"))["s"] or 0,
        "billing_settings": reminders.settings_for(club),
        "plan": reminders.fee_plan(club),
        "due_today": len(reminders.due_reminders(club, timezone.localdate())),
    }
    return render(request, "billing/reminders/log.html", context)


@require_club_admin
def reminder_settings(request, club_slug):
    club = request.club
    form = ReminderSettingsForm(request.POST or None, instance=reminders.settings_for(club))
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        reminders.update_settings(club, fee=data["reminder_fee"], by_sms=data["reminder_by_sms"])
        messages.success(request, _("The reminder settings are saved."))
        return redirect("reminders:settings", club_slug=club.slug)
    context = {
        "form": form,
        "plan": reminders.fee_plan(club),
        "cap": settings.REMINDER_FEE_CAP,
        "fee_after": reminders.FEE_AFTER_DAYS,
        "deadline": reminders.DEADLINE_DAYS,
    }
    status = 400 if form.errors else 200
    return render(request, "billing/reminders/settings.html", context, status=status)
