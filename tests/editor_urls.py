"""A URLconf for test_rich_text_editor: a page with two RichTextEditor fields, beside the real screens.

GET shows the form; POST shows it again with the HTML each field received, escaped, in
<pre id="posted-body"> and <pre id="posted-signature">, so the browser test reads what the form posted.
/editor-test/fragment/ is an htmx fragment with a third editor, to prove editors start after swaps.
"""

from django import forms
from django.http import HttpResponse
from django.template import engines
from django.urls import include, path

from accounts.access import tenant_member_required
from campaigns.widgets import RichTextEditor


class EditorTestForm(forms.Form):
    body = forms.CharField(label="Body", widget=RichTextEditor(attrs={"rows": 8}))
    signature = forms.CharField(label="Signature", required=False, widget=RichTextEditor(attrs={"rows": 4}))


class FragmentForm(forms.Form):
    note = forms.CharField(label="Note", required=False, widget=RichTextEditor(attrs={"rows": 4}))


PAGE = engines["django"].from_string(
    """{% extends "base.html" %}
{% block title %}Editor test{% endblock %}
{% block content %}
<form method="post" id="editor-form" class="card form">
  {% csrf_token %}
  {% with field=form.body %}{% include "form_field.html" %}{% endwith %}
  {% with field=form.signature %}{% include "form_field.html" %}{% endwith %}
  <div id="fragment-slot"></div>
  <div class="form-actions">
    <button type="button" class="button" hx-get="/editor-test/fragment/" hx-target="#fragment-slot">Load more</button>
    <button type="submit" class="button primary">Save</button>
  </div>
</form>
{% if posted %}
<pre id="posted-body">{{ posted.body }}</pre>
<pre id="posted-signature">{{ posted.signature }}</pre>
<pre id="posted-note">{{ posted.note }}</pre>
{% endif %}
{% endblock %}
{% block scripts %}{{ form.media }}{% endblock %}
"""
)

FRAGMENT = engines["django"].from_string("""{% with field=form.note %}{% include "form_field.html" %}{% endwith %}""")


@tenant_member_required
def editor_page(request):
    posted = None
    initial = {"body": "", "signature": "<p>営業部 <strong>山田</strong></p>"}
    form = EditorTestForm(initial=initial)
    if request.method == "POST":
        posted = {name: request.POST.get(name, "") for name in ("body", "signature", "note")}
        form = EditorTestForm(request.POST)
    return HttpResponse(PAGE.render({"form": form, "posted": posted}, request))


@tenant_member_required
def editor_fragment(request):
    return HttpResponse(FRAGMENT.render({"form": FragmentForm()}, request))


urlpatterns = [
    path("editor-test/", editor_page),
    path("editor-test/fragment/", editor_fragment),
    path("", include("config.urls")),
]
