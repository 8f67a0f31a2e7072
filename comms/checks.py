"""Loud configuration: a wrong SMS setting stops start-up with a message naming it."""

from django.core.checks import Error, register
from django.core.exceptions import ImproperlyConfigured


@register()
def sms_backend_check(app_configs=None, **kwargs):
    from comms import sms

    try:
        sms.get_backend()
    except ImproperlyConfigured as exc:
        return [Error(str(exc), id="comms.E001")]
    return []
