from django.shortcuts import render

from forecaster.systems.models import AccountingSystem


def system_list(request):
    return render(request, "systems/list.html", {"systems": AccountingSystem.objects.all()})


def help_whmcs(request):
    return render(request, "systems/help_whmcs.html")
