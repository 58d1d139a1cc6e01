"""The rich-text body editor (C4) as a Django form widget: a textarea that the TipTap bundle enhances."""

from django import forms


class RichTextEditor(forms.Textarea):
    template_name = "widgets/rich_text_editor.html"
