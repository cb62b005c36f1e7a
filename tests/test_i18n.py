"""The UI speaks Bahasa Indonesia by default, English on request; times are WIB."""


def test_pages_are_in_indonesian_whatever_the_browser_asks(client_for):
    page = client_for("komando").get("/operasi/dasbor/", HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9")
    text = page.content.decode()
    assert '<html lang="id">' in text
    assert "Pos Komando Pengamanan Pemilu" in text
    assert "WIB (Asia/Jakarta)" in text


def test_a_user_can_switch_to_english_and_back(client_for):
    client = client_for("komando")
    response = client.post("/i18n/setlang/", {"language": "en", "next": "/operasi/dasbor/"})
    assert response.status_code == 302
    text = client.get("/operasi/dasbor/").content.decode()
    assert '<html lang="en">' in text
    assert "Election Security Command Post" in text
    client.post("/i18n/setlang/", {"language": "id", "next": "/operasi/dasbor/"})
    assert "Pos Komando Pengamanan Pemilu" in client.get("/operasi/dasbor/").content.decode()
