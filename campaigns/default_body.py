"""The body a new campaign or template starts with (C5, C6): greeting merge tags and the unsubscribe tag in place."""

DEFAULT_BODY_HTML = (
    "<p>{{CompanyName}}</p><p>{{FullName}} 様</p><p></p><p></p><p>{{Unsubscribe:メールの配信停止はこちら}}</p>"
)
