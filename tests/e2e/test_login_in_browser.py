import pytest

from tests.e2e.conftest import log_in

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_rep_logs_in_and_sees_the_japanese_shell(page, bob):
    log_in(page, bob.email)
    assert page.get_by_role("heading", name="リード").is_visible()
    sidebar = page.get_by_role("navigation", name="メインメニュー")
    assert sidebar.get_by_role("link", name="リードリスト").is_visible()
    assert page.get_by_text("坊 ボブ").is_visible()


def test_wrong_password_shows_error(page, bob):
    page.goto(f"{page.base_url}/accounts/login/")
    page.get_by_label("メールアドレス").fill(bob.email)
    page.get_by_label("パスワード").fill("wrong-password")
    page.get_by_role("button", name="ログイン").click()
    assert page.get_by_role("alert").inner_text().startswith("メールアドレスまたはパスワードが正しくありません")
