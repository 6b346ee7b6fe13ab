def test_token_then_scope_protected_view(api_client, access_token):
    response = api_client.get("/whoami/", HTTP_AUTHORIZATION=f"Bearer {access_token}")
    assert response.status_code == 200, response.content
    assert response.json()["user"] == "alice@example.com"
