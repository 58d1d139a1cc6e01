from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _

from accounts import services
from accounts.access import role_required
from accounts.forms import EditUserForm, EmailLoginForm, NewUserForm
from accounts.models import Role, User


class LoginView(auth_views.LoginView):
    template_name = "accounts/login.html"
    authentication_form = EmailLoginForm
    redirect_authenticated_user = True


@role_required(Role.ADMIN)
def user_index(request: HttpRequest) -> HttpResponse:
    users = User.objects.for_tenant(request.tenant).order_by("email")
    return render(request, "accounts/user_index.html", {"users": users})


@role_required(Role.ADMIN)
def user_create(request: HttpRequest) -> HttpResponse:
    form = NewUserForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        user = services.create_user(tenant=request.tenant, **form.cleaned_data)
        messages.success(request, _("User %(email)s was added.") % {"email": user.email})
        return redirect("accounts:user_index")
    return render(request, "accounts/user_form.html", {"form": form, "is_new": True})


@role_required(Role.ADMIN)
def user_edit(request: HttpRequest, user_id: int) -> HttpResponse:
    user = get_object_or_404(User.objects.for_tenant(request.tenant), pk=user_id)
    initial = {"name": user.name, "role": user.role, "is_active": user.is_active}
    form = EditUserForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        if user == request.user and (form.cleaned_data["role"] != Role.ADMIN or not form.cleaned_data["is_active"]):
            form.add_error("role", _("You cannot remove your own administrator rights."))
        else:
            services.update_user(user=user, **form.cleaned_data)
            messages.success(request, _("User %(email)s was updated.") % {"email": user.email})
            return redirect("accounts:user_index")
    return render(request, "accounts/user_form.html", {"form": form, "edited_user": user})
