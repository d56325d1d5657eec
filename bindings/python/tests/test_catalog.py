"""sspr's words from Python: every reason and feedback id has a sentence in every shipped
language, and a tag chooses the language (English when sspr ships none)."""
import sspr


def test_every_id_has_words_in_every_language():
    assert set(sspr.LOCALES) == {"en", "de"}
    for tag in sspr.LOCALES:
        c = sspr.Catalog(tag)
        assert c.locale == tag
        for r in sspr.REASONS:
            text = c.reason(r)
            assert text and text != r, (tag, r)
        for f in sspr.FEEDBACK_IDS:
            assert c.feedback(f), (tag, f)
    assert sspr.Catalog("de").reason("code.mismatch") != sspr.Catalog("en").reason("code.mismatch")


def test_tags_questions_and_notices():
    assert sspr.Catalog("de-AT").locale == "de"
    assert sspr.Catalog("fr").locale == "en"
    de = sspr.Catalog("de")
    assert de.reason("code.nope") is None
    assert de.question("What was the name of your first pet?") == "Wie hieß Ihr erstes Haustier?"
    assert de.question("Robot?") == "Robot?"
    notice = de.notice("code", "sms", org="Contoso", code="48151623", minutes=5)
    assert notice is not None
    subject, text = notice
    assert subject is None and "48151623" in text and "Contoso" in text
    mail = sspr.Catalog("en").notice("password_changed", "email", org="Contoso")
    assert mail is not None and mail[0] is not None and "Contoso" in mail[0]
    assert de.notice("code", "fax", org="Contoso") is None
    assert repr(de) == 'Catalog("de")'
