"""The rich-text body editor (C4) as a Django form widget: a textarea that the TipTap bundle enhances.

The template renders the textarea (what the form posts; without JavaScript it stays a plain HTML
textarea), the toolbar, an inline link form and the merge-tag menu, with every label translated
there. static_src/editor.js (built into static/build/editor.js) mounts the editor, keeps the
textarea equal to its HTML and documents how other scripts replace the content.
"""

from django import forms

from campaigns.merge_tags import DEFAULT_UNSUBSCRIBE_TAG


class RichTextEditor(forms.Textarea):
    template_name = "widgets/rich_text_editor.html"

    class Media:
        js = ("build/editor.js",)

    def get_context(self, name, value, attrs):
        context = super().get_context(name, value, attrs)
        widget = context["widget"]
        widget["editor_id"] = widget["attrs"].get("id") or f"rte-{name}"
        widget["merge_tags"] = {
            "company": "{{CompanyName}}",
            "full_name": "{{FullName}}",
            "last_name": "{{LastName}}",
            "first_name": "{{FirstName}}",
            "unsubscribe": DEFAULT_UNSUBSCRIBE_TAG,
        }
        return context
